#!/bin/sh
# Refresh the Swagger UI assets that `reliefplan serve` ships for /docs (no CDN at run time).
# Source: the swagger-ui-dist package on the npm registry (Apache-2.0, SmartBear Software).
set -eu
VERSION="${1:-5.36.0}"
DEST="$(dirname "$0")/../src/reliefplan/web/static/swagger-ui"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && npm pack --silent "swagger-ui-dist@$VERSION" >/dev/null && tar xzf swagger-ui-dist-*.tgz)
mkdir -p "$DEST"
for f in swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt swagger-ui.css favicon-32x32.png LICENSE NOTICE; do
  cp "$TMP/package/$f" "$DEST/$f"
done
# no source maps are shipped: drop the comments that point browsers at them
sed -i '/^\/\/# sourceMappingURL=/d; s#/\*\# sourceMappingURL=[^*]*\*/##' "$DEST/swagger-ui-bundle.js" "$DEST/swagger-ui.css"
printf 'swagger-ui-dist %s from the npm registry (https://www.npmjs.com/package/swagger-ui-dist),\nApache License 2.0 (LICENSE, NOTICE); refreshed with scripts/vendor_swagger_ui.sh.\n' "$VERSION" > "$DEST/SOURCE.md"
