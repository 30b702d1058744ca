// Check-in pages (no inline scripts: the Content-Security-Policy forbids them).
(function () {
  "use strict";
  // Her position: a form with data-geo asks the browser for it when she submits, fills the hidden fields
  // latitude/longitude (or geo_error when refused or unavailable) and then submits. Without a position the
  // server still accepts the check-in and asks the leader to confirm it.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-geo") || form.dataset.geoDone === "1") return;
    var status = form.querySelector("[data-geo-status]");
    var field = function (name) { return form.querySelector("[name=" + name + "]"); };
    var finish = function () {
      form.dataset.geoDone = "1";
      form.submit();
    };
    if (!navigator.geolocation) {
      field("geo_error").value = "unsupported";
      return;
    }
    event.preventDefault();
    if (status) {
      status.textContent = "正在获取您的位置……";
      status.classList.remove("d-none");
    }
    navigator.geolocation.getCurrentPosition(function (position) {
      field("latitude").value = position.coords.latitude.toFixed(6);
      field("longitude").value = position.coords.longitude.toFixed(6);
      finish();
    }, function (error) {
      field("geo_error").value = String(error.code);
      if (status) status.textContent = "未能获取位置，正在提交，由队长确认……";
      finish();
    }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
  }, true);
  // Select all rows of a roster: <input type="checkbox" data-check-all="volunteer">
  document.addEventListener("change", function (event) {
    var box = event.target.closest("[data-check-all]");
    if (!box) return;
    var name = box.getAttribute("data-check-all");
    box.form.querySelectorAll("input[type=checkbox][name=" + name + "]:not(:disabled)").forEach(function (b) {
      b.checked = box.checked;
    });
  });
})();
