/* Améliorations progressives communes : chaque page fonctionne sans ce fichier.
   window.aap.envoyer(url, options) : fetch avec le jeton CSRF, qui compte comme activité de session. */
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var jetonCsrf = meta ? meta.getAttribute("content") : "";

  // Après un envoi refusé, le résumé des erreurs prend le focus : il est lu en premier.
  var resume = document.getElementById("resume-erreurs");
  if (resume) { resume.focus(); }

  function envoyer(url, options) {
    options = options || {};
    options.headers = options.headers || {};
    options.headers["X-CSRFToken"] = jetonCsrf;
    options.headers["Accept"] = "application/json";
    options.credentials = "same-origin";
    return fetch(url, options).then(function (reponse) {
      document.dispatchEvent(new CustomEvent("aap:activite"));
      return reponse;
    });
  }
  window.aap = { envoyer: envoyer };

  // Avertissement avant l'expiration de la session pour inactivité.
  var minutes = parseInt(document.body.getAttribute("data-session-minutes") || "0", 10);
  if (!minutes) { return; }
  var duree = minutes * 60 * 1000;
  var avance = Math.min(2 * 60 * 1000, duree / 5);
  var minuteur = null;
  var alerte = null;

  function retirerAlerte() {
    if (alerte) { alerte.remove(); alerte = null; }
  }

  function planifier() {
    retirerAlerte();
    clearTimeout(minuteur);
    minuteur = setTimeout(avertir, duree - avance);
  }

  function avertir() {
    alerte = document.createElement("div");
    alerte.className = "fr-alert fr-alert--warning aap-alerte-session";
    alerte.setAttribute("role", "alert");
    var texte = document.createElement("p");
    texte.textContent = "Sans activité, votre session se ferme dans " + Math.round(avance / 60000) +
      " minute(s). Ce qui est enregistré est conservé.";
    var bouton = document.createElement("button");
    bouton.type = "button";
    bouton.className = "fr-btn fr-btn--sm fr-mt-1w";
    bouton.textContent = "Rester connecté";
    bouton.addEventListener("click", function () {
      envoyer(document.body.getAttribute("data-session-prolonger"), { method: "POST" }).then(function (r) {
        if (r.status === 401) { texte.textContent = "Votre session a expiré : reconnectez-vous."; bouton.remove(); }
      });
    });
    alerte.appendChild(texte);
    alerte.appendChild(bouton);
    document.body.appendChild(alerte);
    bouton.focus();
  }

  document.addEventListener("aap:activite", planifier);
  planifier();
})();
