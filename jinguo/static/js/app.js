// Small behaviours used across pages. No inline scripts: the Content-Security-Policy forbids them.
(function () {
  "use strict";
  // Confirm dangerous actions: <button data-confirm="确定要……吗？">
  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-confirm]");
    if (target && !window.confirm(target.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);
  // Prevent double submission: a form's submit buttons are disabled once it is sent.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    // Forms that stay on the page (HTMX filters, reveal buttons) opt out: <form data-no-submit-guard>
    if (form.hasAttribute("data-no-submit-guard")) return;
    if (form.dataset.submitted === "1") {
      event.preventDefault();
      return;
    }
    form.dataset.submitted = "1";
    setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    }, 0);
  });
  // Auto-submit filter forms when a select changes: <form data-autosubmit>
  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (form && form.hasAttribute("data-autosubmit") && event.target.tagName === "SELECT") {
      form.requestSubmit();
    }
  });
  // Charts: <div data-echarts='{...option...}'>
  function renderCharts(root) {
    if (!window.echarts) return;
    root.querySelectorAll("[data-echarts]").forEach(function (el) {
      if (el.dataset.rendered) return;
      el.dataset.rendered = "1";
      var chart = window.echarts.init(el);
      chart.setOption(JSON.parse(el.getAttribute("data-echarts")));
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { renderCharts(document); });
  document.addEventListener("htmx:afterSettle", function (event) { renderCharts(event.target); });
  // Her position into a form: <button data-geolocate [data-geolocate-submit]> fills the form's [data-geo-lat] and
  // [data-geo-lng] inputs and writes progress into its [data-geolocate-status] (browse by distance, activity place).
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-geolocate]");
    if (!button) return;
    var form = button.closest("form");
    var status = form && form.querySelector("[data-geolocate-status]");
    function say(text) { if (status) status.textContent = text; }
    if (!form || !navigator.geolocation) {
      say("此浏览器无法获取位置，请手动填写或选择其他条件。");
      return;
    }
    say("正在获取您的位置……");
    navigator.geolocation.getCurrentPosition(function (pos) {
      var lat = form.querySelector("[data-geo-lat]");
      var lng = form.querySelector("[data-geo-lng]");
      if (lat) lat.value = pos.coords.latitude.toFixed(6);
      if (lng) lng.value = pos.coords.longitude.toFixed(6);
      say("已获取位置（精度约 " + Math.round(pos.coords.accuracy) + " 米）。");
      if (button.hasAttribute("data-geolocate-submit")) form.requestSubmit();
    }, function () {
      say("未能获取位置：请在浏览器中允许使用位置信息，或手动填写。");
    }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
  });
})();
