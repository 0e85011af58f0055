// The 清雪作战 board (templates/snow/board.html): the grids coloured by their task's state,
// redrawn every data-every seconds (30) from state.json; the table's badges, the towns'
// figures and (on the wall, templates/snow/wall.html) the pressing grids follow.
(function () {
  var element = document.getElementById('snow-map');
  if (!element || !window.gridgovMap) return;
  var COLORS = { cleared: '#1e8e3e', in_progress: '#c98a00', reported: '#c98a00',
                 not_started: '#6b7280', late: '#c5221f' };
  var grid = window.gridgovMap(element);
  function paint(states) {
    grid.layer.eachLayer(function (shape) {
      var state = states[shape.feature.properties.code] || 'not_started';
      shape.setStyle({ color: '#fff', weight: 1.5, fillColor: COLORS[state], fillOpacity: 0.7 });
    });
    Object.keys(states).forEach(function (code) {
      var row = document.querySelector('tr[data-grid="' + code + '"] td.snow-state .tag');
      var names = element.dataset.names ? JSON.parse(element.dataset.names) : null;
      if (row && row.className.indexOf('snow-' + states[code]) < 0) {
        row.className = 'tag snow-' + states[code];
        if (names && names[states[code]]) row.textContent = names[states[code]];
      }
    });
  }
  // the towns' figures (the board's cards, the wall's) and the wall's pressing grids
  function towns(figures) {
    Object.keys(figures).forEach(function (code) {
      var card = document.querySelector('[data-town="' + code + '"]');
      if (card) Object.keys(figures[code]).forEach(function (key) {
        var cell = card.querySelector('[data-field="' + key + '"]');
        if (cell) cell.textContent = figures[code][key];
      });
      var cleared = document.querySelector('[data-town-cleared="' + code + '"]');
      if (cleared) cleared.textContent = figures[code].cleared;
    });
  }
  function pressing(rows, stopped) {
    var body = document.getElementById('snow-pressing');
    if (!body) return;
    var names = JSON.parse(element.dataset.names);
    body.textContent = '';
    rows.forEach(function (row) {
      var tr = document.createElement('tr');
      var late = row.late_hours !== null;
      [row.grid, row.due, late ? body.dataset.late.replace('{h}', row.late_hours) : names[row.state]]
        .forEach(function (text, n) {
          var td = document.createElement('td');
          td.textContent = text;
          if (n === 2 && late) td.className = 'late';
          tr.appendChild(td);
        });
      body.appendChild(tr);
    });
    if (!rows.length) {
      var tr = document.createElement('tr'), td = document.createElement('td');
      td.colSpan = 3; td.textContent = stopped ? body.dataset.empty : body.dataset.waiting;
      tr.appendChild(td); body.appendChild(tr);
    }
  }
  paint(JSON.parse(element.dataset.states));
  var note = document.querySelector('.refreshed');  // the board's legend, the wall's head
  setInterval(function () {
    fetch(element.dataset.stateUrl, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (body) {
        if (!body) return;
        paint(body.states);
        towns(body.towns || {});
        if (body.pressing) pressing(body.pressing, body.stopped);
        if (note) note.textContent = new Date().toLocaleTimeString('zh-CN', { hour12: false });
      })
      .catch(function () {});
  }, (Number(element.dataset.every) || 30) * 1000);
})();
