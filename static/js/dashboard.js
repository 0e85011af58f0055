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

  // of each day's closings, the share closed on time (none that day: no point)
  var onTime = document.getElementById('ontime-chart');
  if (onTime) {
    var share = echarts.init(onTime, null, { renderer: 'svg' });
    share.setOption({
      color: ['#1e8e3e'], textStyle: font, animation: false,
      tooltip: { trigger: 'axis', valueFormatter: function (v) { return v == null ? '—' : v + '%'; } },
      grid: { left: 44, right: 16, top: 16, bottom: 28 },
      xAxis: { type: 'category', data: data.trend.days.map(function (d) { return d.slice(5); }) },
      yAxis: { type: 'value', min: 0, max: 100, axisLabel: { formatter: '{value}%' } },
      series: [{ name: data.labels.on_time, type: 'line', connectNulls: true, symbolSize: 6,
                 data: data.trend.closed.map(function (n, i) {
                   return n ? Math.round(1000 * data.trend.closed_on_time[i] / n) / 10 : null;
                 }) }]
    });
    charts.push(share);
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
    mapBox.gridgovMap = grid;  // the browser tests move the view through it
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
    boardOverlays(grid, data);
  }
  window.addEventListener('resize', function () { charts.forEach(function (c) { c.resize(); }); });

  // Over the grids: the open cases as pins coloured by their clock once the view is a few
  // streets wide (asked of the server for that view only: never every case), and a heat
  // layer of the period's reports, each grid's count at its centre.
  function boardOverlays(grid, data) {
    var map = grid.map, PIN_ZOOM = 15, SPAN = 0.25;
    var pins = L.layerGroup().addTo(map), overlays = {}, asked = 0;
    overlays[data.labels.pins] = pins;
    var note = L.control({ position: 'bottomleft' });
    note.onAdd = function () { var box = L.DomUtil.create('div', 'map-note'); box.hidden = true; return box; };
    note.addTo(map);
    function refresh() {
      var b = map.getBounds(), ask = ++asked;
      if (!map.hasLayer(pins) || map.getZoom() < PIN_ZOOM ||
          b.getNorth() - b.getSouth() > SPAN || b.getEast() - b.getWest() > SPAN) {
        pins.clearLayers(); note.getContainer().hidden = true; return;
      }
      var sep = data.pins.indexOf('?') < 0 ? '?' : '&';
      fetch(data.pins + sep + 'south=' + b.getSouth() + '&west=' + b.getWest() + '&north=' + b.getNorth() +
            '&east=' + b.getEast(), { credentials: 'same-origin', headers: { Accept: 'application/json' } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (got) {
          if (!got || ask !== asked) return;  // a later view asked since
          pins.clearLayers();
          got.pins.forEach(function (p) { window.gridgovPin(p, data.labels.open_case, 9).addTo(pins); });
          note.getContainer().textContent = got.more ? data.labels.more : '';
          note.getContainer().hidden = !got.more;
        })
        .catch(function () {});
    }
    if (L.heatLayer) {
      var points = [], top = 1;
      grid.layer.eachLayer(function (shape) {
        var c = data.grids[shape.feature.properties.code];
        if (c && c.reported) {
          var at = shape.getBounds().getCenter();
          points.push([at.lat, at.lng, c.reported]);
          top = Math.max(top, c.reported);
        }
      });
      overlays[data.labels.heat] = L.heatLayer(points, { radius: 45, blur: 35, max: top, minOpacity: 0.25 });
    }
    L.control.layers(null, overlays, { collapsed: map.getSize().x < 600, position: 'topright' }).addTo(map);
    map.on('moveend overlayadd overlayremove', refresh);
    refresh();
  }
})();
