// The admin forms: the user form shows the scope fields of the chosen role only (the server
// checks them all), and a form with data-confirm asks before it is sent.
(function () {
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
    });
  });
  var role = document.getElementById("role");
  if (!role) return;
  function show() {
    document.querySelectorAll("fieldset.scope").forEach(function (box) {
      box.hidden = box.getAttribute("data-for") !== role.value;
    });
  }
  role.addEventListener("change", show);
  show();
})();
