// 巡查打卡 (templates/field/checkin.html): take the phone's position and send the visit by
// itself; if there is no fix within 15 s (or no permission), say so and leave the button.
(function () {
  var form = document.getElementById('checkin');
  if (!form || !navigator.geolocation) return;
  var text = form.querySelector('.gps-text'), sent = false;
  if (form.dataset.offlineShell) {
    // the phone's copy answering a scanned /q/<token> with no signal: the visit is kept
    var token = location.pathname.split('/').pop();
    form.action = '/field/checkin/' + encodeURIComponent(token);
    form.key.value = (self.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random();
  }
  // requestSubmit, not submit: the queue (field-queue.js) sees the submit event
  function send() { if (!sent) { sent = true; form.requestSubmit ? form.requestSubmit() : form.submit(); } }
  text.textContent = form.dataset.waiting;
  navigator.geolocation.getCurrentPosition(function (position) {
    var c = position.coords;
    form.lat.value = c.latitude.toFixed(6); form.lon.value = c.longitude.toFixed(6);
    form.accuracy.value = Math.round(c.accuracy);
    send();
  }, function () { text.textContent = form.dataset.failed; },
  { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 });
  form.addEventListener('submit', function () { sent = true; });
})();
