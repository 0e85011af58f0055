// 上报 form: "使用我的位置" fills latitude and longitude from the phone's GPS.
document.getElementById('locate').addEventListener('click', function () {
  if (!navigator.geolocation) return;
  navigator.geolocation.getCurrentPosition(function (p) {
    var f = document.getElementById('new-event');
    f.lat.value = p.coords.latitude.toFixed(6);
    f.lon.value = p.coords.longitude.toFixed(6);
  });
});
