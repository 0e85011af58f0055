// 图表化推进 (templates/programme/ledger.html): each item's percent complete as a bar (Apache
// ECharts, vendored); an item with no project has no bar. Without script the page still
// shows every percent beside its item.
(function () {
  var element = document.getElementById('ledger-chart');
  if (!element || !window.echarts) return;
  var data = JSON.parse(element.dataset.chart);
  var chart = echarts.init(element, null, { renderer: 'svg' });
  chart.setOption({
    animation: false, color: ['#1e8e3e'],
    textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
    tooltip: { trigger: 'axis', valueFormatter: function (v) { return v === null ? '—' : v + '%'; } },
    grid: { left: 36, right: 12, top: 16, bottom: 28 },
    xAxis: { type: 'category', data: data.items, axisLabel: { interval: 0 } },
    yAxis: { type: 'value', min: 0, max: 100, name: data.label, nameTextStyle: { align: 'left' } },
    series: [{ type: 'bar', data: data.percent, barMaxWidth: 28,
               label: { show: true, position: 'top', formatter: function (p) { return p.value === null ? '' : Math.round(p.value); } } }]
  });
  window.addEventListener('resize', function () { chart.resize(); });
})();
