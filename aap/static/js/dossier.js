/* Dossier : enregistrement automatique des brouillons et envoi des pièces avec progression.
   Amélioration progressive : sans ce fichier, chaque étape s'enregistre par ses boutons et chaque pièce
   par son formulaire. Rien de ce qui est tapé n'est perdu : une copie reste dans ce navigateur
   (localStorage) tant que le serveur ne l'a pas enregistrée (session expirée, connexion perdue). */
(function () {
  "use strict";

  var jeton = document.querySelector('meta[name="csrf-token"]');
  var CSRF = jeton ? jeton.getAttribute("content") : "";
  var DELAI = 1200;

  function $(id) { return document.getElementById(id); }

  function remplacerFragments(fragments) {
    Object.keys(fragments || {}).forEach(function (id) {
      var cible = $(id);
      if (cible) { cible.innerHTML = fragments[id]; }  // HTML rendu et échappé par le serveur (Jinja)
    });
  }

  function alerte(message) {
    var boite = $("alerte-autosave");
    if (!boite) { return; }
    $("alerte-autosave-texte").textContent = message;
    boite.hidden = false;
  }

  function cacherAlerte() {
    var boite = $("alerte-autosave");
    if (boite) { boite.hidden = true; }
  }

  /* La connexion tombe, puis revient : dit clairement, en haut de l'étape, ce qu'il advient de la saisie et des
     fichiers. `perdue` : la connexion est perdue ; sinon elle est revenue (le message reste quelques secondes). */
  var minuterieConnexion = null;
  function etatConnexion(perdue, texte) {
    var boite = $("alerte-connexion");
    if (!boite) { return; }
    window.clearTimeout(minuterieConnexion);
    boite.classList.toggle("fr-alert--warning", perdue);
    boite.classList.toggle("fr-alert--success", !perdue);
    $("alerte-connexion-texte").textContent = texte;
    boite.hidden = false;
    if (!perdue) { minuterieConnexion = window.setTimeout(function () { boite.hidden = true; }, 10000); }
  }
  var connexionPerdue = false;
  function perdreConnexion(texte) {
    connexionPerdue = true;
    etatConnexion(true, texte || "Connexion perdue : ce que vous saisissez est gardé dans ce navigateur et sera enregistré dès qu'elle reviendra.");
  }
  function retrouverConnexion(texte) {
    if (!connexionPerdue) { return; }
    connexionPerdue = false;
    etatConnexion(false, texte);
  }
  window.addEventListener("offline", function () { perdreConnexion(); });

  function lienConnexion() {
    return "/connexion?suite=" + encodeURIComponent(window.location.pathname);
  }

  /* --- Enregistrement automatique d'une étape --------------------------------------------------- */

  function EnregistrementAuto(formulaire) {
    this.formulaire = formulaire;
    this.url = formulaire.getAttribute("data-enregistrement-auto");
    this.cle = formulaire.getAttribute("data-cle");
    this.etat = $("etat-enregistrement");
    this.version = formulaire.querySelector('input[name="version"]');
    this.minuterie = null;
    this.enCours = false;
    this.aRefaire = false;
    this.arrete = false;
    this.modifie = false;
    this.essais = 0;
    var moi = this;
    formulaire.addEventListener("input", function () { moi.changement(); });
    formulaire.addEventListener("change", function () { moi.changement(); });
    formulaire.addEventListener("submit", function () {
      window.clearTimeout(moi.minuterie);
      moi.arrete = true;  // l'envoi classique prend le relais ; la copie locale reste jusqu'à la page suivante
    });
    window.addEventListener("online", function () {
      if (moi.arrete) { return; }
      etatConnexion(false, "La connexion est revenue : enregistrement de votre saisie…");
      window.clearTimeout(moi.minuterie);
      if (moi.modifie) { moi.enregistrer(); } else { retrouverConnexion("La connexion est revenue."); }
    });
    window.addEventListener("beforeunload", function (evenement) {
      if (moi.modifie && !moi.arrete) { evenement.preventDefault(); evenement.returnValue = ""; }
    });
    this.restaurer();
    // Sur une connexion lente, on tape parfois avant que ce fichier ne s'exécute : ce qui diffère déjà de la
    // page reçue est une modification comme les suivantes, enregistrée de même.
    if (!this.modifie && this.saisieAvantChargement()) { this.changement(); }
  }

  EnregistrementAuto.prototype.saisieAvantChargement = function () {
    return Array.prototype.some.call(this.formulaire.elements, function (champ) {
      if (!champ.name || champ.type === "hidden" || champ.type === "submit" || champ.type === "file") { return false; }
      if (champ.type === "checkbox" || champ.type === "radio") { return champ.checked !== champ.defaultChecked; }
      if (champ.tagName === "SELECT") {
        if (champ.multiple) {
          return Array.prototype.some.call(champ.options, function (option) { return option.selected !== option.defaultSelected; });
        }
        var defaut = 0;  // sans option « selected », le navigateur choisit la première
        Array.prototype.forEach.call(champ.options, function (option, rang) { if (option.defaultSelected) { defaut = rang; } });
        return champ.options.length > 0 && champ.selectedIndex !== defaut;
      }
      return champ.value !== champ.defaultValue;
    });
  };

  EnregistrementAuto.prototype.dire = function (texte) {
    if (this.etat) { this.etat.textContent = texte; }
  };

  EnregistrementAuto.prototype.valeurs = function () {
    var paires = [];
    Array.prototype.forEach.call(this.formulaire.elements, function (champ) {
      if (!champ.name || champ.name === "csrf_token" || champ.name === "version" || champ.type === "submit") { return; }
      if ((champ.type === "checkbox" || champ.type === "radio")) {
        paires.push([champ.name, champ.value, champ.checked]);
      } else {
        paires.push([champ.name, champ.value]);
      }
    });
    return paires;
  };

  EnregistrementAuto.prototype.sauverCopie = function () {
    try {
      window.localStorage.setItem(this.cle, JSON.stringify({
        version: this.version.value, valeurs: this.valeurs(), le: new Date().toISOString()
      }));
    } catch (e) { /* stockage plein ou interdit : l'enregistrement serveur reste */ }
  };

  EnregistrementAuto.prototype.oublierCopie = function () {
    try { window.localStorage.removeItem(this.cle); } catch (e) { /* rien */ }
  };

  EnregistrementAuto.prototype.appliquer = function (valeurs) {
    var formulaire = this.formulaire;
    valeurs.forEach(function (paire) {
      var champs = formulaire.querySelectorAll('[name="' + paire[0].replace(/"/g, "") + '"]');
      Array.prototype.forEach.call(champs, function (champ) {
        if (champ.type === "checkbox" || champ.type === "radio") {
          if (champ.value === paire[1]) { champ.checked = !!paire[2]; }
        } else {
          champ.value = paire[1];
        }
      });
    });
  };

  EnregistrementAuto.prototype.restaurer = function () {
    var copie = null, moi = this;
    try { copie = JSON.parse(window.localStorage.getItem(this.cle) || "null"); } catch (e) { copie = null; }
    if (!copie || !copie.valeurs) { return; }
    if (String(copie.version) === String(this.version.value)) {
      this.appliquer(copie.valeurs);
      this.dire("Votre saisie non enregistrée a été retrouvée dans ce navigateur : enregistrement…");
      this.modifie = true;
      this.enregistrer();
      return;
    }
    var boite = $("alerte-restauration");
    if (!boite) { return; }
    boite.hidden = false;
    $("bouton-restaurer").addEventListener("click", function () {
      moi.appliquer(copie.valeurs);
      boite.hidden = true;
      moi.changement();
    });
    $("bouton-ignorer").addEventListener("click", function () {
      moi.oublierCopie();
      boite.hidden = true;
    });
  };

  EnregistrementAuto.prototype.changement = function () {
    if (this.arrete) { return; }
    this.modifie = true;
    this.sauverCopie();
    this.dire("Modifications non enregistrées…");
    var moi = this;
    window.clearTimeout(this.minuterie);
    this.minuterie = window.setTimeout(function () { moi.enregistrer(); }, DELAI);
  };

  EnregistrementAuto.prototype.enregistrer = function () {
    if (this.arrete) { return; }
    if (this.enCours) { this.aRefaire = true; return; }
    this.enCours = true;
    this.dire("Enregistrement…");
    var moi = this;
    var donnees = new FormData(this.formulaire);
    fetch(this.url, {
      method: "POST",
      body: donnees,
      credentials: "same-origin",
      headers: { "X-CSRFToken": CSRF, "Accept": "application/json" }
    }).then(function (reponse) {
      var json = (reponse.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      if (reponse.redirected || reponse.status === 401 || (reponse.ok && !json)) {
        moi.sessionExpiree();
        return null;
      }
      return (json ? reponse.json() : Promise.resolve({})).then(function (corps) {
        moi.reponse(reponse.status, corps || {});
      });
    }).catch(function () {
      moi.horsLigne();
    }).then(function () {
      moi.enCours = false;
      if (moi.aRefaire) { moi.aRefaire = false; moi.enregistrer(); }
    });
  };

  EnregistrementAuto.prototype.reponse = function (statut, corps) {
    this.essais = 0;
    if (statut === 200) {
      this.version.value = corps.version;
      this.modifie = false;
      this.oublierCopie();
      cacherAlerte();
      this.dire("Enregistré à " + corps.enregistre_le + ".");
      retrouverConnexion("La connexion est revenue : votre saisie est enregistrée (" + corps.enregistre_le + ").");
      remplacerFragments(corps.fragments);
      return;
    }
    var erreur = (corps.errors && corps.errors[0]) || {};
    if (statut === 409) {
      this.arrete = true;
      alerte(erreur.message || "Ce dossier a été modifié ailleurs : rechargez la page.");
      this.dire("Non enregistré : modification concurrente. Votre saisie est gardée dans ce navigateur.");
      return;
    }
    if (statut === 400 && !corps.errors) {  // jeton CSRF périmé ou session close : la page d'erreur n'est pas du JSON
      this.sessionExpiree();
      return;
    }
    this.dire("Non enregistré : " + (erreur.message || "une valeur est invalide") + " Corrigez-la ; le reste est gardé.");
  };

  EnregistrementAuto.prototype.sessionExpiree = function () {
    this.arrete = true;
    this.sauverCopie();
    alerte("Votre session a expiré. Votre saisie est gardée dans ce navigateur : reconnectez-vous, elle sera enregistrée en revenant sur cette page.");
    var lien = $("lien-recharger");
    if (lien) { lien.textContent = "Se reconnecter"; lien.setAttribute("href", lienConnexion()); }
    this.dire("Non enregistré : session expirée.");
  };

  EnregistrementAuto.prototype.horsLigne = function () {
    this.essais += 1;
    var attente = Math.min(30, 5 * this.essais), moi = this;
    perdreConnexion();
    this.dire("Connexion perdue : votre saisie est gardée dans ce navigateur. Nouvel essai dans " + attente + " s…");
    window.clearTimeout(this.minuterie);
    this.minuterie = window.setTimeout(function () { moi.enregistrer(); }, attente * 1000);
  };

  /* --- Envoi des pièces avec progression ------------------------------------------------------- */

  function Televersement(formulaire) {
    var barre = formulaire.querySelector("progress");
    var etat = formulaire.querySelector("[data-etat-televersement]");
    var entree = formulaire.querySelector('input[type="file"]');
    var tailleMax = parseInt(formulaire.getAttribute("data-taille-max") || "0", 10);
    var essais = 0, relance = null;
    function dire(texte, erreur) {
      etat.textContent = texte;
      etat.setAttribute("role", erreur ? "alert" : "status");
    }
    formulaire.addEventListener("submit", function (evenement) {
      evenement.preventDefault();
      if (!entree.files || !entree.files.length) { dire("Choisissez un fichier à envoyer.", true); return; }
      if (tailleMax && entree.files[0].size > tailleMax) {
        dire("Le fichier dépasse la taille maximale (" + Math.round(tailleMax / 1048576) + " Mo) : réduisez-le avant de l'envoyer.", true);
        return;
      }
      envoyer();
    });

    function envoyer() {
      var requete = new XMLHttpRequest();
      requete.open("POST", formulaire.getAttribute("action"));
      requete.setRequestHeader("X-CSRFToken", CSRF);
      requete.setRequestHeader("Accept", "application/json");
      barre.hidden = false;
      barre.value = 0;
      requete.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) {
          barre.value = Math.round(100 * e.loaded / e.total);
          dire("Envoi : " + barre.value + " %");
        }
      });
      requete.addEventListener("load", function () {
        var corps = null;
        try { corps = JSON.parse(requete.responseText); } catch (e) { corps = null; }
        if (requete.status === 200 && corps) {
          retrouverConnexion("La connexion est revenue : le fichier est envoyé.");
          dire(corps.message || "Fichier envoyé.");
          window.location.reload();
          return;
        }
        barre.hidden = true;
        if (corps && corps.errors && corps.errors[0]) { dire(corps.errors[0].message, true); return; }
        if (requete.status === 413) { dire("Le fichier est trop volumineux.", true); return; }
        if (requete.responseURL && requete.responseURL.indexOf("/connexion") !== -1) {
          dire("Votre session a expiré : reconnectez-vous puis envoyez à nouveau le fichier.", true);
          return;
        }
        dire("L'envoi a échoué (erreur " + requete.status + ") : réessayez.", true);
      });
      requete.addEventListener("error", function () {
        barre.hidden = true;
        var nom = entree.files[0].name;
        var message = "Connexion perdue pendant l'envoi de « " + nom + " » : il sera renvoyé dès qu'elle reviendra.";
        perdreConnexion(message);
        dire(message, true);
        // Renvoyé au retour de la connexion, ou à intervalles si le navigateur ne la voit pas tomber.
        essais += 1;
        var delai = Math.min(60, 10 * essais) * 1000;
        function renvoyer(evenement) {
          window.clearTimeout(relance);
          if (!evenement && navigator.onLine === false) { relance = window.setTimeout(renvoyer, delai); return; }
          window.removeEventListener("online", renvoyer);
          etatConnexion(false, "La connexion est revenue : nouvel envoi de « " + nom + " »…");
          dire("Nouvel envoi…");
          envoyer();
        }
        window.addEventListener("online", renvoyer);
        relance = window.setTimeout(renvoyer, delai);
      });
      requete.send(new FormData(formulaire));
    }
  }

  var formulaire = $("formulaire-etape");
  if (formulaire && formulaire.getAttribute("data-enregistrement-auto") && window.fetch && window.FormData) {
    new EnregistrementAuto(formulaire);
  }
  if (window.FormData && window.XMLHttpRequest) {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-televersement]"), function (f) {
      new Televersement(f);
    });
  }
})();
