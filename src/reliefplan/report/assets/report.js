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
  function popup(layerName, props) {
    var rows = Object.keys(props).map(function (k) {
      return "<tr><th>" + esc(k) + "</th><td>" + fmt(props[k]) + "</td></tr>";
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

  function styledLayer(spec, idx, legend) {
    var name = spec.name, gj = spec.geojson, feats = gj.features;
    var onEach = function (f, layer) { layer.bindPopup(popup(name, f.properties), {maxWidth: 320}); };
    if (name === "zones") {
      var br = SHARED_BREAKS || breaks(feats.map(function (f) { return f.properties.displaced || 0; }));
      legend.zones = br;
      return L.geoJSON(gj, {onEachFeature: onEach, style: function (f) {
        return {color: "#6b6b6b", weight: 0.6, fillColor: rampColour(f.properties.displaced, br), fillOpacity: 0.75};
      }});
    }
    if (name === "footprint") {
      return L.geoJSON(gj, {onEachFeature: onEach, style: function () {
        return {color: "#a50026", weight: 2.5, dashArray: "6 4", fill: true, fillColor: "#a50026", fillOpacity: 0.06};
      }});
    }
    if (name === "sites") {
      legend.sites = true;
      return L.geoJSON(gj, {onEachFeature: onEach, style: function (f) {
        var c = SEVERITY[f.properties.compliance] || "#9e9e9e";
        return {color: "#333", weight: 0.7, fillColor: c, fillOpacity: 0.8};
      }});
    }
    if (name === "flows") {
      var max = Math.max.apply(null, [1].concat(feats.map(function (f) { return f.properties.people || 0; })));
      legend.flows = max;
      return L.geoJSON(gj, {onEachFeature: onEach, style: function (f) {
        return {color: "#2b6cb0", opacity: 0.6, lineCap: "round",
                weight: 1 + 9 * Math.sqrt((f.properties.people || 0) / max)};
      }});
    }
    if (name === "entry_points") {
      return L.geoJSON(gj, {onEachFeature: function (f, layer) {
        onEach(f, layer);
        layer.bindTooltip(esc(f.properties.name || f.properties.id || ""), {permanent: true, direction: "right",
                                                                              className: "ep-label"});
      }, pointToLayer: function (f, ll) { return L.marker(ll, {title: f.properties.name || ""}); }});
    }
    var colour = /bottleneck/.test(name) ? "#d00000" : /road/.test(name) ? "#7a7a7a" : PALETTE[idx % PALETTE.length];
    var weight = /bottleneck/.test(name) ? 5 : /road/.test(name) ? 1.5 : 2;
    legend.other.push([name, colour]);
    return L.geoJSON(gj, {onEachFeature: onEach,
      style: function () { return {color: colour, weight: weight, fillColor: colour, fillOpacity: 0.25}; },
      pointToLayer: function (f, ll) {
        return L.circleMarker(ll, {radius: 5, color: "#222", weight: 1, fillColor: colour, fillOpacity: 0.9});
      }});
  }

  function legendHtml(lg) {
    var h = [];
    if (lg.zones && lg.zones.length) {
      h.push("<b>Zones: people displaced</b>");
      var lo = 1;
      for (var i = 0; i <= lg.zones.length; i++) {
        var hi = lg.zones[i];
        var label = hi === undefined ? "≥ " + lo.toLocaleString("en") : lo.toLocaleString("en") + " – " +
          (hi - 1).toLocaleString("en");
        h.push("<i style='background:" + RAMP[Math.min(i, RAMP.length - 1)] + "'></i>" + label);
        lo = hi;
      }
      h.push("<i style='background:#f2f2f2'></i>none");
    }
    if (lg.sites) {
      h.push("<b>Sites: worst verdict</b>");
      ["ok", "minor", "major", "critical", "closed"].forEach(function (k) {
        h.push("<i style='background:" + SEVERITY[k] + "'></i>" + (k === "closed" ? "not used" : k));
      });
    }
    if (lg.flows) h.push("<b>Zone → site flows</b><span>width ∝ √people (max " +
                         lg.flows.toLocaleString("en") + ")</span>");
    h.push("<b>Footprint</b><i class='dash'></i>operation area");
    lg.other.forEach(function (o) { h.push("<i style='background:" + o[1] + "'></i>" + esc(o[0])); });
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
    var legend = {other: []}, overlays = {}, bounds = L.latLngBounds([]);
    spec.layers.forEach(function (ls, i) {
      var layer = styledLayer(ls, i, legend);
      layer.addTo(map);
      overlays[ls.name.replace(/_/g, " ") + " (" + ls.geojson.features.length + ")"] = layer;
      if (ls.geojson.features.length) bounds.extend(layer.getBounds());
    });
    if (bounds.isValid()) map.fitBounds(bounds, {padding: [12, 12]}); else map.setView([0, 0], 2);
    L.control.scale({imperial: false}).addTo(map);
    var small = el.clientWidth < 700;
    L.control.layers(null, overlays, {collapsed: small}).addTo(map);
    var lgc = L.control({position: "bottomright"});
    lgc.onAdd = function () {
      var d = L.DomUtil.create("div", "legend");
      d.innerHTML = "<details" + (small ? "" : " open") + "><summary>Legend</summary>" + legendHtml(legend) +
        "</details>";
      L.DomEvent.disableClickPropagation(d);
      return d;
    };
    lgc.addTo(map);
    el.dataset.drawn = "1";
    maps.push(map);
    return map;
  }

  // ---- charts -------------------------------------------------------------------------------
  function drawChart(spec) {
    var canvas = document.getElementById("chart-" + spec.id);
    if (!canvas || !window.Chart) return;
    var toneIdx = {a: 0, b: 0, n: 0};
    var datasets = spec.datasets.map(function (d, i) {
      var colour = d.color || PALETTE[i % PALETTE.length];
      if (d.tone) { colour = TONES[d.tone][toneIdx[d.tone]++ % 4]; }
      var ds = {label: d.label, data: d.data, borderColor: colour,
                backgroundColor: d.colors && !d.tone ? d.colors : colour, borderWidth: spec.type === "line" ? 2 : 0,
                pointRadius: spec.type === "line" && d.data.length < 60 ? 2 : 0, spanGaps: true};
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
    var valueAxis = {beginAtZero: true, stacked: !!spec.stacked,
                     title: {display: !!(horizontal ? spec.x_title : spec.y_title),
                             text: horizontal ? spec.x_title : spec.y_title},
                     ticks: {callback: function (v) { return Number(v).toLocaleString("en"); }}};
    var catAxis = {stacked: !!spec.stacked, title: {display: !!(horizontal ? spec.y_title : spec.x_title),
                                                    text: horizontal ? spec.y_title : spec.x_title},
                   ticks: {autoSkip: true, maxRotation: 60}};
    new Chart(canvas, {
      type: spec.type,
      data: {labels: spec.labels, datasets: datasets},
      options: {
        animation: false, responsive: true, maintainAspectRatio: false, indexAxis: horizontal ? "y" : "x",
        plugins: {legend: {display: datasets.length > 1, position: "bottom", labels: {boxWidth: 12}},
                  tooltip: {callbacks: {label: function (c) {
                    var v = horizontal ? c.parsed.x : c.parsed.y;
                    return c.dataset.label + ": " + (v === null ? "—" : Number(v).toLocaleString("en"));
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
