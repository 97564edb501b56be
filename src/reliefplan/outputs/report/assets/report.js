/* reliefplan report: draws the maps and charts described in the page's JSON data block.
   Offline by design: no tile layer, no fetch; every image is a data: URI. */
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("report-data").textContent);
  var SEVERITY = {ok: "#1a9850", info: "#1a9850", minor: "#e6b800", major: "#f46d43", critical: "#a50026",
                  closed: "#9e9e9e"};
  var RAMP = ["#fff5eb", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704"];
  var PALETTE = ["#2b6cb0", "#dd6b20", "#38a169", "#805ad5", "#d53f8c", "#319795", "#b7791f", "#4a5568",
                 "#e53e3e", "#3182ce"];
  var TONES = {a: ["#2b6cb0", "#63b3ed", "#1a365d", "#90cdf4"], b: ["#dd6b20", "#f6ad55", "#7b341e", "#fbd38d"],
               n: ["#a0aec0", "#718096", "#cbd5e0", "#4a5568"]};

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }
  function fmt(v) {
    if (v === null || v === undefined) return "—";
    if (typeof v === "number") {
      if (Number.isInteger(v)) return v.toLocaleString("en");
      return v.toLocaleString("en", {maximumFractionDigits: Math.abs(v) >= 1000 ? 0 : Math.abs(v) >= 100 ? 1 : 3});
    }
    if (typeof v === "object") return esc(JSON.stringify(v));
    return esc(v);
  }
  // popup rows in words, with units; a key not listed is shown as it is
  var WORDS = {population: "population", displaced: "people displaced", staying: "people staying",
               sheltered: "sheltered", unsheltered: "without a shelter place", start_day: "leaves on day",
               capacity: "capacity (additional people)", existing_population: "people already there",
               usable_area_m2: "usable area (m²)", m2_per_person: "site area per person (m²)", open: "opened",
               compliance: "worst verdict", people: "people", distance_m: "distance (m)",
               travel_time_s: "travel time", trucks_per_day: "trucks per day", payload_t: "payload (t)",
               design_trucks_per_day: "design capacity (trucks per day)", width_m: "width (m)", area_m2: "area (m²)",
               plots: "family plots", site_id: "site", block_id: "block"};
  function hours(s) {
    var m = Math.round(s / 60);
    return m < 60 ? m + " min" : Math.floor(m / 60) + " h " + ("0" + m % 60).slice(-2) + " min";
  }
  function popup(layerName, props) {
    var rows = Object.keys(props).map(function (k) {
      var v = props[k];
      var shown = k === "travel_time_s" && typeof v === "number" ? hours(v) : typeof v === "boolean" ? (v ? "yes" : "no") : fmt(v);
      return "<tr><th>" + esc(WORDS[k] || k.replace(/_/g, " ")) + "</th><td>" + shown + "</td></tr>";
    }).join("");
    return "<div class='popup'><b>" + esc(layerName.replace(/_/g, " ")) + "</b><table>" + rows + "</table></div>";
  }

  // ---- map ------------------------------------------------------------------------------
  if (window.L && DATA.icons) {
    L.Icon.Default.imagePath = "";
    L.Icon.Default.mergeOptions({iconUrl: DATA.icons.icon, iconRetinaUrl: DATA.icons.icon2x,
                                 shadowUrl: DATA.icons.shadow});
  }

  function breaks(values) {
    var v = values.filter(function (x) { return x > 0; }).sort(function (a, b) { return a - b; });
    if (!v.length) return [];
    var out = [];
    for (var i = 1; i < RAMP.length; i++) out.push(v[Math.min(v.length - 1, Math.floor(i * v.length / RAMP.length))]);
    return out.filter(function (x, i, a) { return a.indexOf(x) === i; });
  }
  function rampColour(x, br) {
    if (!(x > 0)) return "#f2f2f2";
    var i = 0;
    while (i < br.length && x >= br[i]) i++;
    return RAMP[Math.min(i, RAMP.length - 1)];
  }

  // fixed looks for the layers the plan writes; any other layer takes a colour from PALETTE
  var LOOK = {
    footprint: {color: "#a50026", weight: 2.5, dashArray: "6 4", fill: true, fillColor: "#a50026", fillOpacity: 0.06},
    roads: {color: "#7a7a7a", weight: 1.2, opacity: 0.8},
    bottlenecks: {color: "#d00000", weight: 5},
    camp_blocks: {color: "#3d3d3d", weight: 0.6, fill: true, fillOpacity: 0, opacity: 0.8},
    camp_firebreaks: {color: "#8c6d31", weight: 0.5, fill: true, fillColor: "#e7cb94", fillOpacity: 0.45}
  };

  function styledLayer(spec, idx) {
    var name = spec.name, gj = spec.geojson, feats = gj.features;
    var onEach = function (f, layer) {
      layer.bindPopup(popup((spec.title || name).split(":")[0], f.properties), {maxWidth: 320});
    };
    var key = {title: spec.title || name};
    var layer;
    if (name === "zones") {
      var br = SHARED_BREAKS || breaks(feats.map(function (f) { return f.properties.displaced || 0; }));
      key.zones = br;
      layer = L.geoJSON(gj, {onEachFeature: onEach, style: function (f) {
        return {color: "#6b6b6b", weight: 0.6, fillColor: rampColour(f.properties.displaced, br), fillOpacity: 0.75};
      }});
    } else if (name === "sites") {
      key.sites = true;
      layer = L.geoJSON(gj, {onEachFeature: onEach, style: function (f) {
        var c = SEVERITY[f.properties.compliance] || "#9e9e9e";
        return {color: "#222", weight: 1, fillColor: c, fillOpacity: 0.85};
      }});
    } else if (name === "flows") {
      var max = Math.max.apply(null, [1].concat(feats.map(function (f) { return f.properties.people || 0; })));
      key.flows = max;
      layer = L.geoJSON(gj, {onEachFeature: onEach, style: function (f) {
        return {color: "#2b6cb0", opacity: 0.6, lineCap: "round",
                weight: 1 + 9 * Math.sqrt((f.properties.people || 0) / max)};
      }});
    } else if (name === "entry_points") {
      key.marker = true;
      layer = L.geoJSON(gj, {onEachFeature: function (f, lyr) {
        onEach(f, lyr);
        lyr.bindTooltip(esc(f.properties.name || f.properties.id || ""), {permanent: true, direction: "right",
                                                                            className: "ep-label"});
      }, pointToLayer: function (f, ll) { return L.marker(ll, {title: f.properties.name || ""}); }});
    } else {
      var look = LOOK[name] || {color: PALETTE[idx % PALETTE.length], weight: 2,
                                fillColor: PALETTE[idx % PALETTE.length], fillOpacity: 0.25};
      key.look = look;
      key.line = /line/i.test(spec.geometry_type || "");
      layer = L.geoJSON(gj, {onEachFeature: onEach, style: function () { return look; },
        pointToLayer: function (f, ll) {
          return L.circleMarker(ll, {radius: 5, color: "#222", weight: 1, fillColor: look.color, fillOpacity: 0.9});
        }});
    }
    return {layer: layer, key: key};
  }

  function swatch(look, line) {
    if (line) {
      return "<i class='line' style='border-top:" + Math.max(2, Math.round(look.weight || 2)) + "px " +
        (look.dashArray ? "dashed " : "solid ") + look.color + "'></i>";
    }
    var fill = look.fillColor || look.color, a = Math.max(look.fillOpacity || 0, look.fillOpacity ? 0.2 : 0);
    var rgba = "rgba(" + [1, 3, 5].map(function (i) { return parseInt(fill.slice(i, i + 2), 16); }).join(",") + "," + a + ")";
    return "<i style='border:" + (look.dashArray ? "2px dashed " : "1px solid ") + look.color + ";background:" +
      rgba + "'></i>";
  }

  // one legend entry per layer drawn, in the layer switcher's words
  function legendHtml(entries) {
    var h = [];
    entries.forEach(function (e) {
      var k = e.key;
      if (!e.shown) {
        if (e.min_zoom !== null) h.push("<span class='off'>" + esc(k.title) + ": zoom in to see</span>");
        return;
      }
      if (k.zones) {
        h.push("<b>" + esc(k.title) + "</b>");
        var lo = 1;
        for (var i = 0; i <= k.zones.length; i++) {
          var hi = k.zones[i];
          var label = hi === undefined ? "≥ " + lo.toLocaleString("en") : lo.toLocaleString("en") + " – " +
            (hi - 1).toLocaleString("en");
          h.push("<i style='background:" + RAMP[Math.min(i, RAMP.length - 1)] + "'></i>" + label);
          lo = hi;
        }
        h.push("<i style='background:#f2f2f2'></i>none");
      } else if (k.sites) {
        h.push("<b>" + esc(k.title) + "</b>");
        ["ok", "minor", "major", "critical", "closed"].forEach(function (s) {
          h.push("<i style='background:" + SEVERITY[s] + "'></i>" + (s === "closed" ? "not used" : s));
        });
      } else if (k.flows) {
        h.push("<b>" + esc(k.title) + "</b><span>line width ∝ √people (max " + k.flows.toLocaleString("en") +
               ")</span>");
      } else if (k.marker) {
        h.push("<i class='pin' style='background-image:url(" + DATA.icons.icon + ")'></i>" + esc(k.title));
      } else if (k.look) {
        h.push(swatch(k.look, k.line) + esc(k.title));
      }
    });
    return h.map(function (x) { return x.indexOf("<b>") === 0 ? x : "<div>" + x + "</div>"; }).join("");
  }

  // one colour scale for every map on the page, so A and B read alike
  var SHARED_BREAKS = null;
  if ((DATA.maps || []).length > 1) {
    var all = [];
    DATA.maps.forEach(function (m) {
      m.layers.forEach(function (ls) {
        if (ls.name === "zones") ls.geojson.features.forEach(function (f) { all.push(f.properties.displaced || 0); });
      });
    });
    SHARED_BREAKS = breaks(all);
  }

  var maps = [];
  function drawMap(spec) {
    var el = document.getElementById(spec.id);
    if (!el || !window.L) return null;
    var map = L.map(el, {zoomSnap: 0.25, attributionControl: true, preferCanvas: false});
    map.attributionControl.setPrefix(false);
    if (spec.attribution) map.attributionControl.addAttribution(esc(spec.attribution));
    var overlays = {}, entries = [], aoi = L.latLngBounds([]), all = L.latLngBounds([]);
    spec.layers.forEach(function (ls, i) {
      var made = styledLayer(ls, i);
      var n = ls.geojson.features.length;
      var e = {name: ls.name, layer: made.layer, key: made.key, min_zoom: ls.min_zoom === undefined ? null : ls.min_zoom,
               on: ls.on !== false, user: null, shown: false};
      entries.push(e);
      overlays[esc(made.key.title) + " (" + n.toLocaleString("en") + ")"] = made.layer;
      if (n) {
        all.extend(made.layer.getBounds());
        if (ls.aoi) aoi.extend(made.layer.getBounds());
      }
    });
    // open on the area of interest (zones, operation area, sites); the rest of the network is a pan away
    var view = aoi.isValid() ? aoi : all;
    if (view.isValid()) map.fitBounds(view, {padding: [12, 12]}); else map.setView([0, 0], 2);
    var auto = false;
    function sync() {  // layers follow the zoom level until the reader switches them
      auto = true;
      entries.forEach(function (e) {
        var want = e.user !== null ? e.user : e.min_zoom !== null ? map.getZoom() >= e.min_zoom : e.on;
        if (want && !map.hasLayer(e.layer)) map.addLayer(e.layer);
        if (!want && map.hasLayer(e.layer)) map.removeLayer(e.layer);
        e.shown = want;
      });
      auto = false;
      redrawLegend();
      el.dataset.layersOn = entries.filter(function (e) { return e.shown; }).map(function (e) { return e.name; }).join(",");
    }
    L.control.scale({imperial: false}).addTo(map);
    var small = el.clientWidth < 700;
    L.control.layers(null, overlays, {collapsed: small}).addTo(map);
    var legendBox = null;
    function redrawLegend() {
      if (!legendBox) return;
      var open = legendBox.querySelector("details");
      var isOpen = open ? open.open : !small;
      legendBox.innerHTML = "<details" + (isOpen ? " open" : "") + "><summary>Legend</summary>" +
        legendHtml(entries) + "</details>";
    }
    var lgc = L.control({position: "bottomright"});
    lgc.onAdd = function () {
      legendBox = L.DomUtil.create("div", "legend");
      L.DomEvent.disableClickPropagation(legendBox);
      return legendBox;
    };
    lgc.addTo(map);
    map.on("overlayadd overlayremove", function (ev) {
      if (auto) return;
      entries.forEach(function (e) { if (e.layer === ev.layer) { e.user = ev.type === "overlayadd"; } });
      sync();
    });
    map.on("zoomend", sync);
    sync();
    var b = map.getBounds();
    el.dataset.view = JSON.stringify([b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]);
    el.dataset.aoi = view.isValid() ? JSON.stringify([view.getWest(), view.getSouth(), view.getEast(), view.getNorth()]) : "";
    el.dataset.drawn = "1";
    maps.push(map);
    return map;
  }

  // ---- charts -------------------------------------------------------------------------------
  // longer category labels are shortened on the axis (the tooltip has them whole); a horizontal chart's
  // labels sit in a column of their own and may be longer
  var LABEL_CHARS = 24, LABEL_CHARS_ACROSS = 36;
  function alpha(hex, a) {
    if (!/^#[0-9a-f]{6}$/i.test(hex)) return hex;
    return "rgba(" + [1, 3, 5].map(function (i) { return parseInt(hex.slice(i, i + 2), 16); }).join(",") + "," + a + ")";
  }

  function drawChart(spec) {
    var canvas = document.getElementById("chart-" + spec.id);
    if (!canvas || !window.Chart) return;
    var toneIdx = {a: 0, b: 0, n: 0};
    var datasets = spec.datasets.map(function (d, i) {
      var colour = d.color || PALETTE[i % PALETTE.length];
      var line = (d.type || spec.type) === "line";
      // comparison: a dataset with its own colour (a commodity) keeps it, B drawn dashed or lighter;
      // others take A's blues and B's oranges
      var dashed = !!d.dash || (d.tone === "b" && !!d.color);
      if (d.tone && !d.color) { colour = TONES[d.tone][toneIdx[d.tone]++ % 4]; }
      var fill = d.colors && !d.tone ? d.colors : (d.tone === "b" && d.color && !line ? alpha(colour, 0.45) : colour);
      var ds = {label: d.label, data: d.data, borderColor: colour, backgroundColor: fill,
                borderWidth: line ? 2 : (d.tone === "b" && d.color ? 1.5 : 0),
                pointRadius: line && d.data.length < 60 ? 2 : 0, spanGaps: true};
      if (d.type) { ds.type = d.type; ds.order = -10; ds.pointRadius = 0; }
      if (dashed && line) ds.borderDash = [6, 4];
      if (spec.stacked && d.tone) ds.stack = d.tone;
      if (spec.overlap) {
        // first dataset (e.g. capacity) is the wide background bar, the others sit inside it
        ds.grouped = false;
        ds.barPercentage = i === 0 ? 0.95 : 0.6;
        ds.order = -i;
      }
      return ds;
    });
    var horizontal = !!spec.horizontal;
    var unit = spec.percent ? " %" : "";
    var valueAxis = {beginAtZero: true, stacked: !!spec.stacked,
                     title: {display: !!(horizontal ? spec.x_title : spec.y_title),
                             text: horizontal ? spec.x_title : spec.y_title},
                     ticks: {callback: function (v) { return Number(v).toLocaleString("en") + unit; }}};
    if (spec.percent) valueAxis.suggestedMax = 100;
    var catAxis = {stacked: !!spec.stacked, title: {display: !!(horizontal ? spec.y_title : spec.x_title),
                                                    text: horizontal ? spec.y_title : spec.x_title},
                   ticks: {autoSkip: true, maxRotation: 60, callback: function (v) {
                     var l = String(this.getLabelForValue(v)), n = horizontal ? LABEL_CHARS_ACROSS : LABEL_CHARS;
                     return l.length > n ? l.slice(0, n - 1) + "…" : l;
                   }}};
    new Chart(canvas, {
      type: spec.type,
      data: {labels: spec.labels, datasets: datasets},
      options: {
        animation: false, responsive: true, maintainAspectRatio: false, indexAxis: horizontal ? "y" : "x",
        layout: {padding: {left: 4, right: 8}},
        plugins: {legend: {display: datasets.length > 1, position: "bottom", labels: {boxWidth: 12}},
                  tooltip: {callbacks: {label: function (c) {
                    var v = horizontal ? c.parsed.x : c.parsed.y;
                    return c.dataset.label + ": " + (v === null ? "—" : Number(v).toLocaleString("en") + unit);
                  }}}},
        scales: horizontal ? {x: valueAxis, y: catAxis} : {x: catAxis, y: valueAxis}
      }
    });
    canvas.dataset.drawn = "1";
  }

  (DATA.maps || []).forEach(drawMap);
  if (DATA.sync_maps && maps.length === 2) {
    var syncing = false;
    maps.forEach(function (m, i) {
      m.on("moveend", function () {
        if (syncing) return;
        syncing = true;
        maps[1 - i].setView(m.getCenter(), m.getZoom(), {animate: false});
        syncing = false;
      });
    });
  }
  (DATA.charts || []).forEach(drawChart);
  document.documentElement.dataset.ready = "1";
})();
