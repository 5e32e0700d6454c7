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

  // Un envoi qui prend du temps (le dépôt, son accusé de réception) dit qu'il est en cours, et n'est pas refait.
  Array.prototype.forEach.call(document.querySelectorAll("form[data-occupe]"), function (formulaire) {
    formulaire.addEventListener("submit", function (evenement) {
      if (formulaire.getAttribute("aria-busy") === "true") { evenement.preventDefault(); return; }
      formulaire.setAttribute("aria-busy", "true");
      var bouton = formulaire.querySelector('button[type="submit"]');
      if (bouton) { bouton.setAttribute("aria-disabled", "true"); bouton.classList.add("aap-occupe"); }
      var etat = document.createElement("p");
      etat.className = "fr-text--sm fr-mt-1w";
      etat.setAttribute("role", "status");
      etat.id = "etat-envoi";
      formulaire.appendChild(etat);
      // Écrit après l'insertion, pour que le lecteur d'écran l'annonce.
      window.setTimeout(function () { etat.textContent = formulaire.getAttribute("data-occupe"); }, 50);
    });
  });

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
