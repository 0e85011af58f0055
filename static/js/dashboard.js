// 数据看板's charts (Apache ECharts, vendored): the day-by-day trend and the categories most
// reported, from the figures the page carries (#board-data's data-board). Without script the page still
// has every figure in its cards and tables.
(function () {
  var source = document.getElementById('board-data');
  if (!source || !window.echarts) return;
  var data = JSON.parse(source.dataset.board), charts = [];
  var colors = ['#0b63c5', '#c98a00', '#1e8e3e'];
  var font = { fontFamily: getComputedStyle(document.body).fontFamily };

  var trend = document.getElementById('trend-chart');
  if (trend) {
    var chart = echarts.init(trend, null, { renderer: 'svg' });
    chart.setOption({
      color: colors, textStyle: font, animation: false,
      tooltip: { trigger: 'axis' },
      legend: { top: 0, data: [data.labels.reported, data.labels.filed, data.labels.closed] },
      grid: { left: 40, right: 16, top: 36, bottom: 28 },
      xAxis: { type: 'category', data: data.trend.days.map(function (d) { return d.slice(5); }) },
      yAxis: { type: 'value', minInterval: 1 },
      series: ['reported', 'filed', 'closed'].map(function (name) {
        return { name: data.labels[name], type: 'line', data: data.trend[name], symbolSize: 6 };
      })
    });
    charts.push(chart);
  }

  var categories = document.getElementById('category-chart');
  if (categories) {
    var rows = data.categories.slice().reverse();
    var bars = echarts.init(categories, null, { renderer: 'svg' });
    bars.setOption({
      color: colors, textStyle: font, animation: false,
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: 'value', minInterval: 1 },
      yAxis: { type: 'category', data: rows.map(function (r) { return r[0]; }) },
      series: [{ type: 'bar', data: rows.map(function (r) { return r[1]; }), barMaxWidth: 22,
                 label: { show: true, position: 'right' } }]
    });
    charts.push(bars);
  }
  window.addEventListener('resize', function () { charts.forEach(function (c) { c.resize(); }); });
})();
