// 巡访 (templates/care/field.html): when a visit form is opened, take the phone's position
// and say how far it is from the home; keep the moment in visited_at, so a visit kept on
// the phone with no signal and sent later is recorded at the time it was made.
(function () {
  function metres(lat1, lon1, lat2, lon2) {
    var r = 6371000, rad = Math.PI / 180;
    var dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
    var a = Math.sin(dlat / 2) * Math.sin(dlat / 2) +
      Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dlon / 2) * Math.sin(dlon / 2);
    return Math.round(2 * r * Math.asin(Math.sqrt(a)));
  }
  function stamp(form) { form.visited_at.value = new Date().toISOString(); }
  function locate(form) {
    var text = form.querySelector('.gps');
    stamp(form);
    if (!navigator.geolocation) { text.textContent = text.dataset.failed; text.classList.add('error'); return; }
    text.textContent = text.dataset.waiting;
    navigator.geolocation.getCurrentPosition(function (position) {
      var c = position.coords;
      form.lat.value = c.latitude.toFixed(6); form.lon.value = c.longitude.toFixed(6);
      form.accuracy.value = Math.round(c.accuracy);
      text.classList.remove('error');
      if (form.dataset.homeLat) {
        text.textContent = text.dataset.near.replace('{m}', metres(c.latitude, c.longitude,
          parseFloat(form.dataset.homeLat), parseFloat(form.dataset.homeLon)));
      } else {
        text.textContent = text.dataset.here.replace('{a}', Math.round(c.accuracy));
      }
    }, function () { text.textContent = text.dataset.failed; text.classList.add('error'); },
    { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 });
  }
  Array.prototype.forEach.call(document.querySelectorAll('details.care-visit'), function (box) {
    var form = box.querySelector('form');
    box.addEventListener('toggle', function () {
      if (!box.open) return;
      // a fresh key each time the form is opened: the page may be the phone's copy, opened
      // again with no signal for another visit (a resend by the outbox keeps its own key)
      form.key.value = (self.crypto && crypto.randomUUID) ? crypto.randomUUID()
        : String(Date.now()) + '-' + String(Math.random()).slice(2);
      if (!form.lat.value) locate(form); else stamp(form);
    });
    form.addEventListener('change', function () { stamp(form); });
    if (box.open) locate(form);
  });
  // the register's form: the home's position from the phone, when standing in it
  var here = document.querySelector('button.locate-home');
  if (here && navigator.geolocation) {
    here.hidden = false;
    here.addEventListener('click', function () {
      var form = here.form;
      navigator.geolocation.getCurrentPosition(function (position) {
        form.lat.value = position.coords.latitude.toFixed(6);
        form.lon.value = position.coords.longitude.toFixed(6);
      }, function () { here.textContent = here.dataset.failed; },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 });
    });
  }
})();
