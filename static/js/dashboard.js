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
  // the grids coloured by how many of their cases are overdue now; a tap opens their list
  var mapBox = document.getElementById('board-map');
  if (mapBox && window.gridgovMap) {
    var grid = window.gridgovMap(mapBox);
    grid.layer.eachLayer(function (shape) {
      var code = shape.feature.properties.code;
      var c = data.grids[code] || { reported: 0, open: 0, overdue: 0 };
      var fill = c.overdue >= 5 ? '#c5221f' : c.overdue >= 2 ? '#e8710a' : c.overdue >= 1 ? '#f9ab00' : '#1e8e3e';
      shape.setStyle({ color: '#13294b', weight: 1, fillColor: fill, fillOpacity: 0.5 });
      shape.unbindTooltip();  // the figures, on hover or tap, instead of the name labels
      shape.bindTooltip(document.createTextNode(shape.feature.properties.name + '：' +
        data.labels.reported + ' ' + c.reported + '，' + data.labels.open + ' ' + c.open + '，' +
        data.labels.overdue + ' ' + c.overdue));
      shape.on('click', function () {
        location.href = data.list + '?grid=' + encodeURIComponent(code) + (c.overdue ? '&overdue=1' : '');
      });
    });
  }
  window.addEventListener('resize', function () { charts.forEach(function (c) { c.resize(); }); });
})();
