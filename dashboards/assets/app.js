/* ktxh dashboards: draws the charts the server built (echarts options in
   data-option), formats their numbers the reader's way (1.234,5 in
   Vietnamese), wires drill-down clicks, the month picker and printing.
   Loads nothing from anywhere: everything came with the page. */
(function () {
  'use strict';
  var doc = document.documentElement;
  doc.classList.add('js');
  var lang = doc.lang === 'en' ? 'en' : 'vi';
  var locale = lang === 'en' ? 'en-US' : 'vi-VN';
  var formats = {};
  function nf(digits) {
    var k = String(digits);
    if (!formats[k]) {
      formats[k] = new Intl.NumberFormat(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits });
    }
    return formats[k];
  }
  function fmt(v, kind) {
    if (v !== null && typeof v === 'object' && 'value' in v) { v = v.value; }
    if (Array.isArray(v)) { v = v[v.length - 1]; }
    if (v === null || v === undefined || v === '-' || v === '' || (typeof v === 'number' && isNaN(v))) { return '–'; }
    v = Number(v);
    switch (kind) {
      case 'pct': return nf(1).format(v * 100) + '%';
      case 'pct-axis': return nf(0).format(v * 100) + '%';
      case 'dec1': return nf(1).format(v);
      default: return nf(0).format(v);
    }
  }
  window.ktxhFormat = fmt;

  function parse(el, name, dflt) {
    var s = el.getAttribute(name);
    if (!s) { return dflt; }
    try { return JSON.parse(s); } catch (e) { console.error('ktxh: bad ' + name + ' on #' + el.id, e); return dflt; }
  }
  function list(x) { return x ? (Array.isArray(x) ? x : [x]) : []; }

  var charts = [];
  function draw(el) {
    var opt = parse(el, 'data-option', null);
    if (!opt) { return; }
    var axes = parse(el, 'data-axes', {});
    var sf = parse(el, 'data-series', []);
    var links = parse(el, 'data-links', []);
    [['x', 'xAxis'], ['y', 'yAxis']].forEach(function (a) {
      var kinds = axes[a[0]] || [];
      var axs = list(opt[a[1]]).filter(function (ax) { return ax.type === 'value'; });
      axs.forEach(function (ax, i) {
        var kind = kinds[i] || 'int';
        ax.axisLabel = ax.axisLabel || {};
        ax.axisLabel.formatter = function (v) { return fmt(v, kind === 'pct' ? 'pct-axis' : kind); };
      });
    });
    list(opt.series).forEach(function (s, i) {
      var kind = sf[i] || 'int';
      s.tooltip = s.tooltip || {};
      s.tooltip.valueFormatter = function (v) { return fmt(v, kind); };
      if (s.label && s.label.show) {
        s.label.formatter = function (p) { return fmt(p.value, kind); };
      }
      if (s.markLine && s.markLine.label && !s.markLine.label.formatter) {
        s.markLine.label.formatter = '{b}';
      }
    });
    var empty = list(opt.series).every(function (s) {
      return list(s.data).every(function (d) {
        var v = d !== null && typeof d === 'object' ? d.value : d;
        return v === undefined || v === null || v === '-';
      });
    });
    if (empty) {
      opt.graphic = [{ type: 'text', left: 'center', top: 'middle', silent: true,
        style: { text: lang === 'en' ? 'No data for this period' : 'Không có số liệu trong kỳ này', fill: '#8a8f98', fontSize: 14 } }];
      el.setAttribute('data-empty', '1');
    }
    var chart = window.echarts.init(el, 'ktxh', {
      renderer: 'canvas',
      locale: lang === 'en' ? 'EN' : 'VI',
      devicePixelRatio: Math.max(2, window.devicePixelRatio || 1)
    });
    chart.on('finished', function () { el.setAttribute('data-rendered', '1'); });
    chart.setOption(opt);
    if (links.some(function (u) { return !!u; })) {
      el.classList.add('drillable');
      chart.on('click', function (p) {
        var u = links[p.dataIndex];
        if (u) { window.location.href = u; }
      });
      // A click on a category label drills down too.
      chart.getZr().on('click', function (e) {
        if (e.target) { return; }
        var pt = [e.offsetX, e.offsetY];
        if (!chart.containPixel('grid', pt)) { return; }
        var horizontal = list(opt.yAxis)[0] && list(opt.yAxis)[0].type === 'category';
        var idx = chart.convertFromPixel({ seriesIndex: 0 }, pt);
        var i = Math.round(horizontal ? idx[1] : idx[0]);
        if (links[i]) { window.location.href = links[i]; }
      });
    }
    charts.push(chart);
  }

  function start() {
    var els = document.querySelectorAll('.chart[data-option]');
    if (!window.echarts) {
      var banner = document.getElementById('echarts-missing');
      if (banner) { banner.hidden = false; }
      doc.setAttribute('data-echarts', 'missing');
      if (els.length) { console.error('ktxh: echarts did not load (/assets/vendor/echarts.min.js): rebuild ktxh after `make assets`'); }
      return;
    }
    Array.prototype.forEach.call(els, draw);
    doc.setAttribute('data-charts', String(charts.length));
  }

  function resizeAll() { charts.forEach(function (c) { c.resize(); }); }

  document.addEventListener('DOMContentLoaded', function () {
    // The month picker applies at once.
    Array.prototype.forEach.call(document.querySelectorAll('form.picker select'), function (s) {
      s.addEventListener('change', function () { s.form.submit(); });
    });
    Array.prototype.forEach.call(document.querySelectorAll('[data-print]'), function (b) {
      b.addEventListener('click', function () { window.print(); });
    });
    // Draw once the page's own font is there, so canvas text uses it.
    var ready = document.fonts && document.fonts.ready ? document.fonts.ready : Promise.resolve();
    var started = false;
    var go = function () { if (!started) { started = true; start(); } };
    ready.then(go, go);
    setTimeout(go, 1500);
  });
  var resizeTimer = 0;
  window.addEventListener('resize', function () {
    // Printing lays the page out at paper width: no redraw then (below).
    if (window.matchMedia && window.matchMedia('print').matches) { return; }
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(resizeAll, 100);
  });
  // Printing does not redraw the charts: the canvases drawn for the screen
  // scale into their print boxes (app.css), so that what prints is what the
  // reader saw, whatever the browser does around printing.
})();
