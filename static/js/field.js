// 巡查上报 (templates/field/report.html): the phone's position is taken as the page opens and
// put on the grid map (static/js/pickers.js places the pin and finds the grid), its accuracy
// shown; better fixes follow for half a minute until the worker moves the pin themselves.
(function () {
  var form = document.getElementById('patrol'), box = document.getElementById('gps');
  if (!form || !box) return;
  var text = box.querySelector('.gps-text'), again = document.getElementById('relocate');
  var watch = null, best = null, touched = false, stopAt = 0;
  var WEAK_M = 50;

  function say(message, bad) { text.textContent = message; box.classList.toggle('bad', !!bad); }
  function stop() { if (watch !== null) { navigator.geolocation.clearWatch(watch); watch = null; } }

  function fix(position) {
    var c = position.coords, metres = Math.round(c.accuracy);
    if (best && c.accuracy >= best.accuracy) return;  // only a better fix moves the pin
    best = c;
    say((metres > WEAK_M ? box.dataset.weak : box.dataset.fix).replace('{m}', metres), metres > WEAK_M);
    if (!touched && form.gridgovPlace) form.gridgovPlace(c.latitude, c.longitude);
    if (Date.now() > stopAt || metres <= 10) stop();
  }
  function fail(error) {
    stop();
    if (best) return;
    say(error && error.code === 1 ? box.dataset.denied : box.dataset.failed, true);
  }
  function locate() {
    if (!navigator.geolocation) { say(box.dataset.failed, true); return; }
    stop(); best = null; touched = false; stopAt = Date.now() + 30000;
    say(box.dataset.waiting, false);
    watch = navigator.geolocation.watchPosition(fix, fail, { enableHighAccuracy: true, timeout: 20000, maximumAge: 10000 });
  }

  // a pin the worker moved or placed is theirs: no later fix moves it
  if (form.gridgovMap) {
    form.gridgovMap.map.on('click', function () { touched = true; stop(); });
    form.gridgovMap.map.on('layeradd', function (event) {
      if (event.layer instanceof L.Marker) event.layer.on('dragstart', function () { touched = true; stop(); });
    });
  }
  again.addEventListener('click', locate);
  if (!form.lat.value) locate();  // a form shown again keeps the place it had
  else say(box.dataset.fix.replace('{m}', '—'), false);
})();
