/* Lào Cai digital assistant: the portal's one script tag.
 *
 *   <script src="https://BOT/widget.js" defer data-title="Trợ lý số" data-colour="#b3261e"
 *           data-lang="vi" data-commune="02671" data-open="false"></script>
 *
 * Adds a launcher button; the chat opens in a frame of the bot's own origin (/embed),
 * a panel on a wide screen, the whole screen on a phone. Included twice: one launcher.
 * Styles are set from script (no inline style attribute), so the portal's own
 * Content-Security-Policy needs only to allow this script and the bot as a frame.
 */
(function () {
  "use strict";
  if (window.__laocaiBotWidget) return;
  window.__laocaiBotWidget = true;

  var origin = new URL("__BOT_ORIGIN__").origin;  // as the browser writes it
  var me = document.currentScript || document.querySelector("script[src$='/widget.js']");
  var data = (me && me.dataset) || {};
  var lang = data.lang === "en" ? "en" : "vi";
  var words = "__WORDS__"[lang];  // from the bot's message catalogue
  var title = (data.title || words.title).slice(0, 60);
  var colour = /^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$/.test(data.colour || data.color || "")
    ? (data.colour || data.color) : "#b3261e";
  var query = new URLSearchParams({ lang: lang, title: title });
  if (/^[0-9]{5}$/.test(data.commune || "")) query.set("c", data.commune);

  function styled(tag, style) {
    var el = document.createElement(tag);
    Object.keys(style).forEach(function (k) { el.style[k] = style[k]; });
    return el;
  }

  var launcher = styled("button", {
    position: "fixed", right: "16px", bottom: "16px", zIndex: "2147483000",
    minHeight: "48px", padding: "0 20px", border: "0", borderRadius: "24px",
    background: colour, color: "#fff", font: "600 16px/1.2 system-ui, sans-serif",
    boxShadow: "0 2px 8px rgba(0,0,0,.3)", cursor: "pointer"
  });
  launcher.type = "button";
  launcher.textContent = words.open;
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", "laocai-bot-panel");

  var panel = styled("div", {
    position: "fixed", zIndex: "2147483001", background: "#fff", display: "none",
    boxShadow: "0 4px 24px rgba(0,0,0,.35)", overflow: "hidden"
  });
  panel.id = "laocai-bot-panel";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", title);

  var close = styled("button", {
    position: "absolute", top: "6px", right: "6px", width: "40px", height: "40px",
    border: "0", borderRadius: "20px", background: "rgba(0,0,0,.35)", color: "#fff",
    font: "700 20px/1 system-ui, sans-serif", cursor: "pointer"
  });
  close.type = "button";
  close.textContent = "×";
  close.setAttribute("aria-label", words.close);

  var frame = styled("iframe", { width: "100%", height: "100%", border: "0", display: "block" });
  frame.title = title;
  frame.setAttribute("allow", "clipboard-write");

  function fit() {  // a panel on a wide screen, the whole screen on a phone
    var phone = window.matchMedia("(max-width: 600px)").matches;
    var box = phone
      ? { top: "0", left: "0", right: "0", bottom: "0", width: "100%", height: "100%", borderRadius: "0" }
      : { top: "auto", left: "auto", right: "16px", bottom: "80px", width: "380px",
          height: "min(600px, calc(100vh - 100px))", borderRadius: "12px" };
    Object.keys(box).forEach(function (k) { panel.style[k] = box[k]; });
  }

  function open() {
    if (!frame.src) frame.src = origin + "/embed?" + query.toString();
    fit();
    panel.style.display = "block";
    launcher.setAttribute("aria-expanded", "true");
    frame.focus();
  }

  function shut() {
    panel.style.display = "none";
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }

  launcher.addEventListener("click", function () {
    if (panel.style.display === "block") shut(); else open();
  });
  close.addEventListener("click", shut);
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") shut(); });
  window.addEventListener("message", function (e) {  // Escape pressed inside the chat
    if (e.origin === origin && e.data && e.data.laocaiBot === "close") shut();
  });
  window.addEventListener("resize", function () { if (panel.style.display === "block") fit(); });

  function mount() {
    panel.appendChild(frame);
    panel.appendChild(close);
    document.body.appendChild(panel);
    document.body.appendChild(launcher);
    if (data.open === "true") open();
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
