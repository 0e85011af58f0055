// 巡查打卡 (templates/field/checkin.html): take the phone's position and send the visit by
// itself; if there is no fix within 15 s (or no permission), say so and leave the button.
(function () {
  var form = document.getElementById('checkin');
  if (!form || !navigator.geolocation) return;
  var text = form.querySelector('.gps-text'), sent = false;
  function send() { if (!sent) { sent = true; form.submit(); } }
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
