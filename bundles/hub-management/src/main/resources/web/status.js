// modhub status page: fetches /api/status and renders it. No libraries, no CDN: works offline.
(function () {
  'use strict';
  var SVG = 'http://www.w3.org/2000/svg';

  function text(s) { return document.createTextNode(s == null ? '' : String(s)); }

  function cell(tr, value, cls) {
    var td = document.createElement('td');
    td.appendChild(text(value));
    if (cls) { td.className = cls; }
    tr.appendChild(td);
  }

  function fill(id, rows, columns, empty) {
    var body = document.querySelector('#' + id + ' tbody');
    while (body.firstChild) { body.removeChild(body.firstChild); }
    if (!rows.length) {
      var tr = document.createElement('tr');
      var td = document.createElement('td');
      td.colSpan = columns;
      td.className = 'empty';
      td.appendChild(text(empty));
      tr.appendChild(td);
      body.appendChild(tr);
      return;
    }
    rows.forEach(function (r) {
      var tr = document.createElement('tr');
      r.forEach(function (c) { if (Array.isArray(c)) { cell(tr, c[0], c[1]); } else { cell(tr, c); } });
      body.appendChild(tr);
    });
  }

  function age(seconds) {
    if (seconds == null) { return ''; }
    if (seconds < 120) { return seconds + ' s'; }
    if (seconds < 7200) { return Math.round(seconds / 60) + ' min'; }
    return Math.round(seconds / 3600) + ' h';
  }

  function el(name, attrs) {
    var e = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    return e;
  }

  // Bar chart of interval consumption as inline SVG, drawn here.
  function chart(c) {
    var box = document.getElementById('chart');
    while (box.firstChild) { box.removeChild(box.firstChild); }
    document.getElementById('chart-meter').textContent = c.meter ? '(' + c.meter + ', ' + c.unit + ')' : '';
    var W = 960, H = 240, L = 48, B = 28, T = 10, R = 8;
    var svg = el('svg', { viewBox: '0 0 ' + W + ' ' + H, preserveAspectRatio: 'none', id: 'chart-svg' });
    svg.appendChild(el('line', { x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: '#8a93a3', 'stroke-width': 1 }));
    svg.appendChild(el('line', { x1: L, y1: T, x2: L, y2: H - B, stroke: '#8a93a3', 'stroke-width': 1 }));
    var samples = c.samples || [];
    if (!samples.length) {
      var t = el('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', fill: '#6b7482', 'font-size': 14 });
      t.appendChild(text('no half-hourly readings yet'));
      svg.appendChild(t);
      box.appendChild(svg);
      return;
    }
    var max = 0;
    samples.forEach(function (s) { max = Math.max(max, Number(s.value)); });
    if (max <= 0) { max = 1; }
    var slot = (W - L - R) / 48;
    var offset = 48 - samples.length;
    samples.forEach(function (s, i) {
      var h = (H - B - T) * Number(s.value) / max;
      var bar = el('rect', { x: (L + (offset + i) * slot + 1).toFixed(1), y: (H - B - h).toFixed(1),
        width: Math.max(1, slot - 2).toFixed(1), height: h.toFixed(1), fill: '#1f6fb2', 'class': 'bar' });
      var title = el('title', {});
      title.appendChild(text(s.end + ': ' + s.value));
      bar.appendChild(title);
      svg.appendChild(bar);
    });
    var top = el('text', { x: L - 4, y: T + 10, 'text-anchor': 'end', fill: '#5a6372', 'font-size': 11 });
    top.appendChild(text(max));
    svg.appendChild(top);
    [0, samples.length - 1].forEach(function (i, k) {
      var lbl = el('text', { x: k ? W - R : L + (offset + i) * slot, y: H - 8, 'text-anchor': k ? 'end' : 'start', fill: '#5a6372', 'font-size': 11 });
      lbl.appendChild(text(samples[i].end.substring(5, 16).replace('T', ' ')));
      svg.appendChild(lbl);
    });
    box.appendChild(svg);
  }

  function render(s) {
    var badge = document.getElementById('health-state');
    badge.textContent = s.health.state;
    badge.className = 'badge ' + s.health.state;
    document.getElementById('updated').textContent = 'updated ' + s.time;
    chart(s.chart);
    fill('han', s.han.map(function (d) {
      return [d.id, d.type, d.network, d.lastContact || 'never'];
    }), 4, 'no HAN devices in the device log');
    fill('wan', s.wan.map(function (w) {
      return [w.technology, [w.state, w.state], w.signalDbm == null ? '' : w.signalDbm + ' dBm', w.reason, w.since];
    }), 5, 'no WAN link');
    fill('gas', s.gas.map(function (g) {
      if (!g.capturedAt) { return [g.meter, 'no push yet', '', '', '']; }
      return [g.meter, g.volumeM3, (g.todayEnergyWh / 1000).toFixed(3), (g.todayCostMinor / 100).toFixed(2),
        [age(g.ageSeconds) + (g.stale ? ' (stale)' : ''), g.stale ? 'DEGRADED' : '']];
    }), 5, 'no gas meter');
    fill('events', s.events.map(function (e) {
      return [e.time, [e.severity, e.severity], e.code, e.source, e.detail];
    }), 5, 'no events');
    fill('bundles', s.bundles.map(function (b) {
      return [b.id, b.name, b.version, [b.state, b.state]];
    }), 4, 'no bundles');
    document.body.setAttribute('data-loaded', 'true');
  }

  function load() {
    var x = new XMLHttpRequest();
    var m = /[?&]meter=([0-9A-Fa-f:-]{16,23})(&|$)/.exec(window.location.search);
    x.open('GET', '/api/status' + (m ? '?meter=' + encodeURIComponent(m[1]) : ''));
    x.onload = function () {
      if (x.status === 200) {
        render(JSON.parse(x.responseText));
      } else {
        document.getElementById('updated').textContent = 'status unavailable (' + x.status + ')';
      }
    };
    x.onerror = function () { document.getElementById('updated').textContent = 'hub not reachable'; };
    x.send();
  }

  load();
  setInterval(load, 10000);
}());
