// The admin pages: the tabs keep the page's own tab in view on a phone; the user form shows the scope fields of the chosen role only (the server
// checks them all), and a form with data-confirm asks before it is sent.
(function () {
  if (window.gridgovAdmin) return;  // included by the tabs and by a page: once is enough
  window.gridgovAdmin = true;
  var current = document.querySelector(".admin-tabs .current");
  if (current && current.parentNode.scrollWidth > current.parentNode.clientWidth) {
    current.parentNode.scrollLeft = current.offsetLeft - 16;  // the page's own tab in view
  }
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
