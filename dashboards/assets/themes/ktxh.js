/* ktxh echarts theme: sober colours for printed monthly reports, the
   dashboards' own font (Noto Sans, served by ktxh). */
(function () {
  'use strict';
  if (!window.echarts) { return; }
  var font = '"Noto Sans", "DejaVu Sans", Arial, sans-serif';
  var axis = {
    axisLine: { show: true, lineStyle: { color: '#8a8f98' } },
    axisTick: { show: false },
    axisLabel: { color: '#39404a', fontFamily: font },
    splitLine: { show: true, lineStyle: { color: '#e6e8eb' } },
    nameTextStyle: { color: '#39404a', fontFamily: font }
  };
  window.echarts.registerTheme('ktxh', {
    color: ['#1f5f99', '#26a69a', '#f2c14e', '#c62828', '#7e57c2', '#ef6c00', '#8d6e63', '#9e9e9e'],
    backgroundColor: 'rgba(0,0,0,0)',
    textStyle: { fontFamily: font, color: '#1c2430' },
    title: { textStyle: { fontFamily: font, color: '#1c2430', fontSize: 14 } },
    legend: { textStyle: { fontFamily: font, color: '#39404a' } },
    tooltip: { textStyle: { fontFamily: font } },
    categoryAxis: axis,
    valueAxis: axis,
    line: { symbolSize: 6, lineStyle: { width: 2 } },
    bar: { itemStyle: { borderRadius: [2, 2, 0, 0] } }
  });
})();
