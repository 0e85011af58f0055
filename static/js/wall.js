// 大屏 (dashboard/wall.py): the wall display draws the figures it was served with, then asks
// for them again every data-every seconds and redraws in place — no reload. When the network
// drops it keeps the last figures on the wall, says how old they are, and catches up as soon
// as an answer comes back.
(function () {
  var wall = document.getElementById('wall');
  if (!wall) return;
  var every = Math.max(2, Number(wall.dataset.every) || 30) * 1000;
  var labels = JSON.parse(wall.dataset.labels);
  var stale = document.getElementById('wall-stale');
  var charts = {}, grid = null;

  function text(id, value) { var node = document.getElementById(id); if (node) node.textContent = value; }
  function shown(key, value) {
    if (value === null || value === undefined) return '—';
    return key.slice(-5) === '_rate' ? (value * 100).toFixed(1) + '%' : String(value);
  }
  function change(key, item) {
    if (item.value === null || item.before === null) return '';
    var delta = item.value - item.before;
    if (!delta) return labels.same;
    var amount = key.slice(-5) === '_rate' ? (Math.abs(delta) * 100).toFixed(1) + labels.points : Math.abs(delta);
    return labels.before + ' ' + (delta > 0 ? '▲ ' : '▼ ') + amount;
  }
  function localTime(iso) {
    var at = new Date(iso);
    return at.toLocaleTimeString('zh-CN', { hour: '2-digit', minute: '2-digit', hour12: false, timeZone: wall.dataset.zone });
  }

  function drawCards(cards) {
    Object.keys(cards).forEach(function (span) {
      Object.keys(cards[span]).forEach(function (key) {
        text('v-' + span + '-' + key, shown(key, cards[span][key].value));
        text('c-' + span + '-' + key, change(key, cards[span][key]));
      });
    });
  }
  function drawOverdue(rows) {
    var body = document.getElementById('wall-overdue');
    body.textContent = '';
    rows.forEach(function (row) {
      var tr = document.createElement('tr');
      [row.number, row.category, row.grid, row.holder, row.late].forEach(function (value, i) {
        var td = document.createElement('td');
        td.textContent = value;
        if (i === 4) td.className = 'late';
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    document.getElementById('wall-none').hidden = rows.length > 0;
  }
  function drawCharts(data) {
    if (!window.echarts) return;
    var font = { color: '#c9d4e5', fontFamily: getComputedStyle(document.body).fontFamily, fontSize: 16 };
    var axis = { axisLine: { lineStyle: { color: '#5b6b85' } }, splitLine: { lineStyle: { color: '#24344f' } }, axisLabel: { color: '#c9d4e5', fontSize: 14 } };
    if (!charts.trend) charts.trend = echarts.init(document.getElementById('wall-trend'), null, { renderer: 'svg' });
    charts.trend.setOption({
      animation: false, textStyle: font, color: ['#4ea1ff', '#f6c244', '#3ccf7a'],
      legend: { top: 0, textStyle: font },
      grid: { left: 44, right: 16, top: 40, bottom: 30 },
      xAxis: Object.assign({ type: 'category', data: data.trend.days.map(function (d) { return d.slice(5); }) }, axis),
      yAxis: Object.assign({ type: 'value', minInterval: 1 }, axis),
      series: ['reported', 'filed', 'closed'].map(function (name) {
        return { name: labels[name], type: 'line', data: data.trend[name], symbolSize: 7, lineStyle: { width: 3 } };
      })
    });
    if (!charts.categories) charts.categories = echarts.init(document.getElementById('wall-categories'), null, { renderer: 'svg' });
    var rows = data.categories.slice().reverse();
    charts.categories.setOption({
      animation: false, textStyle: font, color: ['#4ea1ff'],
      grid: { left: 8, right: 40, top: 8, bottom: 8, containLabel: true },
      xAxis: Object.assign({ type: 'value', minInterval: 1 }, axis),
      yAxis: Object.assign({ type: 'category', data: rows.map(function (r) { return r[0]; }) }, axis),
      series: [{ type: 'bar', data: rows.map(function (r) { return r[1]; }), barMaxWidth: 26,
                 label: { show: true, position: 'right', color: '#fff', fontSize: 15 } }]
    });
  }
  function drawMap(counts) {
    if (!window.gridgovMap || !window.L) return;
    if (!grid) grid = window.gridgovMap(document.getElementById('wall-map'));
    grid.layer.eachLayer(function (shape) {
      var c = counts[shape.feature.properties.code] || { reported: 0, open: 0, overdue: 0 };
      var fill = c.overdue >= 5 ? '#d93025' : c.overdue >= 2 ? '#f28b30' : c.overdue >= 1 ? '#f6c244' : '#1e8e3e';
      shape.setStyle({ color: '#c9d4e5', weight: 1, fillColor: fill, fillOpacity: 0.55 });
      shape.unbindTooltip();  // the figures, on hover or tap, instead of the name labels
      shape.bindTooltip(document.createTextNode(shape.feature.properties.name + '：' +
        labels.open + ' ' + c.open + '，' + labels.overdue + ' ' + c.overdue));
    });
  }
  function draw(data) {
    drawCards(data.cards);
    drawOverdue(data.overdue);
    drawCharts(data);
    drawMap(data.grids);
    text('wall-at', labels.at.replace('{time}', localTime(data.at)));
    wall.dataset.at = data.at;
  }

  function ask() {
    fetch(wall.dataset.url, { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } })
      .then(function (response) {
        if (response.redirected || response.status === 401) { stale.textContent = labels.login; stale.hidden = false; return null; }
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (data) { if (data) { draw(data); stale.hidden = true; } })
      .catch(function () {  // no answer: the last figures stay, and the wall says how old
        stale.textContent = labels.stale.replace('{time}', localTime(wall.dataset.at));
        stale.hidden = false;
      })
      .then(function () { setTimeout(ask, every); });
  }

  function tick() { text('wall-clock', new Date().toLocaleTimeString('zh-CN', { hour12: false, timeZone: wall.dataset.zone })); }
  draw(JSON.parse(wall.dataset.initial));
  tick();
  setInterval(tick, 1000);
  setTimeout(ask, every);
  window.addEventListener('resize', function () { Object.keys(charts).forEach(function (k) { charts[k].resize(); }); });
})();
