/*
 * guichet chat widget — the front desk of the Quebec SPOR SUPPORT Unit
 * (Unité de soutien SSA Québec). Vanilla JavaScript, no dependencies.
 *
 * Embedding it on another site
 * ----------------------------
 * 1. List the site's origin in guichet's configuration, e.g.
 *      [web]
 *      allowed_origins = ["https://ssaquebec.ca"]
 *    (this lets the site call guichet's API and frame its page).
 * 2. Add one line to the page, where the chat should appear:
 *      <script src="https://guichet.example/widget.js" data-guichet defer></script>
 *    To place it elsewhere, add an empty element marked data-guichet-mount
 *    (<div data-guichet-mount></div>) and the widget goes inside it.
 *
 * The widget speaks the page's language (<html lang="en"> gives English; anything else,
 * French); data-lang="en" or "fr" on the script tag overrides it. It loads its stylesheet
 * (widget.css) and calls the API (/api/session, /api/chat) on the origin it was loaded
 * from; its CSS classes all start with "guichet-". A site with its own
 * Content-Security-Policy must allow that origin in script-src, style-src and
 * connect-src.
 */
(function () {
  "use strict";

  // Strings (in French and English) and settings, written in by the server.
  var CONFIG = /*GUICHET_I18N*/ null;
  var script = document.currentScript;
  if (!CONFIG || !script || script.getAttribute("data-guichet-started")) {
    return;
  }
  script.setAttribute("data-guichet-started", "");
  var base = new URL(script.src, document.baseURI).origin;
  var lang = pickLang(script.getAttribute("data-lang") || document.documentElement.lang);
  var T = CONFIG[lang];
  var idPrefix = "guichet-" + Math.random().toString(36).slice(2, 8);

  function pickLang(code) {
    return String(code || "").toLowerCase().slice(0, 2) === "en" ? "en" : "fr";
  }

  /** An element with attributes and text content (never HTML). */
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (name) {
        node.setAttribute(name, attrs[name]);
      });
    }
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    return node;
  }

  /** Only web links: a knowledge file cannot slip in a javascript: URL. */
  function safeUrl(url) {
    try {
      var parsed = new URL(String(url));
      return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
    } catch (e) {
      return null;
    }
  }

  function ensureStylesheet() {
    if (document.querySelector("link[data-guichet-css]")) {
      return;
    }
    var link = el("link", { rel: "stylesheet", href: base + "/widget.css", "data-guichet-css": "" });
    (document.head || document.documentElement).appendChild(link);
  }

  // ---- the widget's DOM ---------------------------------------------------------------
  var root = el("section", { class: "guichet", lang: lang, "aria-labelledby": idPrefix + "-title" });
  var title = el("h2", { class: "guichet-title", id: idPrefix + "-title" }, T.title);
  var log = el("div", {
    class: "guichet-log",
    role: "log",
    "aria-live": "polite",
    "aria-label": T.conversation,
    tabindex: "0",
    id: idPrefix + "-log"
  });
  var form = el("form", { class: "guichet-form", action: "#", method: "post" });
  var label = el("label", { for: idPrefix + "-input", class: "guichet-label" }, T.label);
  var row = el("div", { class: "guichet-row" });
  var input = el("textarea", {
    id: idPrefix + "-input",
    name: "text",
    rows: "2",
    maxlength: String(CONFIG.maxChars),
    "aria-describedby": idPrefix + "-hint",
    autocomplete: "off"
  });
  var send = el("button", { type: "submit", class: "guichet-send" }, T.send);
  var hint = el("p", { id: idPrefix + "-hint", class: "guichet-hint" }, T.hint);
  var privacy = el("p", { class: "guichet-privacy" }, T.privacy);
  row.appendChild(input);
  row.appendChild(send);
  form.appendChild(label);
  form.appendChild(row);
  form.appendChild(hint);
  root.appendChild(title);
  root.appendChild(log);
  root.appendChild(form);
  root.appendChild(privacy);

  // ---- state and API ------------------------------------------------------------------
  var session = null;
  var busy = false;

  function postJson(path, body) {
    return fetch(base + path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "omit",
      body: JSON.stringify(body)
    }).then(function (response) {
      return response
        .json()
        .catch(function () {
          return {};
        })
        .then(function (data) {
          return { ok: response.ok, status: response.status, data: data };
        });
    });
  }

  function newSession() {
    return postJson("/api/session", { lang: lang }).then(function (r) {
      if (!r.ok || !r.data.session) {
        throw r;
      }
      session = r.data.session;
      return session;
    });
  }

  /** Sends one message ({text} or {action}); a lost session is replaced once. */
  function chat(payload, retried) {
    var ready = session ? Promise.resolve(session) : newSession();
    return ready.then(function (id) {
      var body = { session: id, lang: lang };
      Object.keys(payload).forEach(function (k) {
        body[k] = payload[k];
      });
      return postJson("/api/chat", body).then(function (r) {
        if (r.status === 404 && r.data.error === "unknown_session" && !retried) {
          session = null;
          return chat(payload, true);
        }
        return r;
      });
    });
  }

  // ---- rendering ----------------------------------------------------------------------
  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  function addPersonMessage(text) {
    var item = el("div", { class: "guichet-msg guichet-msg-person" });
    item.appendChild(el("span", { class: "guichet-sr" }, T.you + " "));
    item.appendChild(el("p", { class: "guichet-text" }, text));
    log.appendChild(item);
    scrollDown();
  }

  function addNotice(text) {
    var item = el("div", { class: "guichet-msg guichet-msg-notice", role: "status" });
    item.appendChild(el("p", { class: "guichet-text" }, text));
    log.appendChild(item);
    scrollDown();
  }

  function renderHit(hit, replyLang) {
    var item = el("li", { class: "guichet-hit", lang: hit.lang || replyLang });
    var heading = el("p", { class: "guichet-hit-title" });
    var url = safeUrl(hit.url);
    if (url) {
      var link = el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, hit.title);
      link.appendChild(el("span", { class: "guichet-sr", lang: replyLang }, " " + CONFIG[replyLang].newTab));
      heading.appendChild(link);
    } else {
      heading.appendChild(el("span", null, hit.title));
    }
    if (hit.lang && hit.lang !== replyLang) {
      heading.appendChild(document.createTextNode(" "));
      heading.appendChild(el("span", { class: "guichet-hit-lang", lang: replyLang }, CONFIG[replyLang].otherLang));
    }
    item.appendChild(heading);
    var excerpt = el("p", { class: "guichet-excerpt" });
    if (Array.isArray(hit.segments) && hit.segments.length) {
      hit.segments.forEach(function (segment) {
        if (segment.highlighted) {
          excerpt.appendChild(el("strong", null, segment.text));
        } else {
          excerpt.appendChild(document.createTextNode(String(segment.text)));
        }
      });
    } else {
      excerpt.textContent = String(hit.excerpt || "");
    }
    item.appendChild(excerpt);
    return item;
  }

  function addReply(reply) {
    var replyLang = reply.lang === "en" ? "en" : "fr";
    var item = el("div", { class: "guichet-msg guichet-msg-bot", lang: replyLang });
    item.appendChild(el("span", { class: "guichet-sr" }, CONFIG[replyLang].guichet + " "));
    item.appendChild(el("p", { class: "guichet-text" }, reply.text));
    if (Array.isArray(reply.hits) && reply.hits.length) {
      var list = el("ul", { class: "guichet-hits" });
      reply.hits.forEach(function (hit) {
        list.appendChild(renderHit(hit, replyLang));
      });
      item.appendChild(list);
    }
    if (Array.isArray(reply.suggestions) && reply.suggestions.length) {
      var related = el("ul", { class: "guichet-suggestions" });
      reply.suggestions.forEach(function (hit) {
        var li = el("li", {});
        var url = safeUrl(hit.url);
        if (url) {
          li.appendChild(el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, String(hit.title || "")));
        } else {
          li.appendChild(document.createTextNode(String(hit.title || "")));
        }
        related.appendChild(li);
      });
      item.appendChild(related);
    }
    if (reply.request && reply.request.reference) {
      item.appendChild(el("p", { class: "guichet-reference" }, reply.request.reference));
    }
    if (reply.feedback) {
      // Was it helpful? Two labelled buttons (a group, so screen readers read the
      // question with them); the vote goes to /api/feedback, the answer's token with it.
      var S = CONFIG[replyLang];
      var feedback = el("div", { class: "guichet-feedback", role: "group", "aria-label": S.feedbackAsk });
      feedback.appendChild(el("span", { class: "guichet-feedback-ask", "aria-hidden": "true" }, S.feedbackAsk));
      [["up", "\uD83D\uDC4D", S.feedbackYes], ["down", "\uD83D\uDC4E", S.feedbackNo]].forEach(function (v) {
        var b = el("button", {
          type: "button",
          class: "guichet-action guichet-vote",
          "data-vote": v[0],
          "data-token": String(reply.feedback),
          "aria-label": v[2],
          title: v[2]
        }, v[1]);
        feedback.appendChild(b);
      });
      feedback.appendChild(el("span", { class: "guichet-feedback-status", role: "status" }));
      item.appendChild(feedback);
    }
    if (Array.isArray(reply.actions) && reply.actions.length) {
      var actions = el("div", { class: "guichet-actions" });
      reply.actions.forEach(function (action) {
        var button = el("button", { type: "button", class: "guichet-action", "data-action": action.id }, action.label);
        actions.appendChild(button);
      });
      item.appendChild(actions);
    }
    log.appendChild(item);
    scrollDown();
  }

  function handle(response) {
    if (response.ok) {
      addReply(response.data);
    } else {
      addNotice(response.data && response.data.message ? response.data.message : T.network);
    }
  }

  function submit(payload, shown) {
    if (busy) {
      return;
    }
    busy = true;
    send.disabled = true;
    log.setAttribute("aria-busy", "true");
    addPersonMessage(shown);
    chat(payload)
      .then(handle, function () {
        addNotice(T.network);
      })
      .then(function () {
        busy = false;
        send.disabled = false;
        log.removeAttribute("aria-busy");
      });
  }

  // ---- events -------------------------------------------------------------------------
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    if (!text.trim() || busy) {
      input.focus();
      return;
    }
    input.value = "";
    submit({ text: text }, text);
    input.focus();
  });

  // Enter sends; Shift+Enter (or Enter while composing an accented character) does not.
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      if (typeof form.requestSubmit === "function") {
        form.requestSubmit();
      } else {
        form.dispatchEvent(new Event("submit", { cancelable: true }));
      }
    }
  });

  // Buttons in the transcript: send the action, disable that set of buttons so it is
  // not pressed twice, and bring the focus back to the message box.
  log.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-action]") : null;
    if (!button || button.disabled || busy) {
      return;
    }
    var group = button.parentNode;
    Array.prototype.forEach.call(group.querySelectorAll("button"), function (b) {
      b.disabled = true;
    });
    button.setAttribute("aria-pressed", "true");
    submit({ action: button.getAttribute("data-action") }, button.textContent);
    input.focus();
  });

  // A vote on an answer: sent once, both buttons then disabled, the outcome announced.
  log.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-vote]") : null;
    if (!button || button.disabled) {
      return;
    }
    var group = button.parentNode;
    var status = group.querySelector(".guichet-feedback-status");
    var voteLang = group.parentNode.getAttribute("lang") === "en" ? "en" : "fr";
    var S = CONFIG[voteLang];
    Array.prototype.forEach.call(group.querySelectorAll("button"), function (b) {
      b.disabled = true;
    });
    button.setAttribute("aria-pressed", "true");
    postJson("/api/feedback", { token: button.getAttribute("data-token"), vote: button.getAttribute("data-vote"), lang: voteLang })
      .then(function (r) {
        status.textContent = r.data && r.data.message ? r.data.message : S.network;
      }, function () {
        status.textContent = S.network;
      });
  });

  // ---- start --------------------------------------------------------------------------
  function mount() {
    ensureStylesheet();
    var target = document.querySelector("[data-guichet-mount]");
    if (target) {
      target.appendChild(root);
    } else if (script.parentNode && script.parentNode !== document.head) {
      script.parentNode.insertBefore(root, script.nextSibling);
    } else {
      document.body.appendChild(root);
    }
    addReply({ text: T.welcome, lang: lang, hits: [], actions: T.welcomeActions });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", mount);
  } else {
    mount();
  }
})();
