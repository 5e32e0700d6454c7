/* Notation d'un dossier par un membre du COPIL : total courant et enregistrement automatique du brouillon.
   Amélioration progressive : sans ce fichier, les boutons « Enregistrer le brouillon » et « Soumettre »
   font tout, et le total affiché est celui du dernier enregistrement.
   Rien de ce qui est tapé n'est perdu : une copie reste dans ce navigateur (localStorage) tant que le
   serveur ne l'a pas enregistrée (session expirée, connexion perdue). Un autre onglet qui a enregistré
   entre-temps n'est jamais écrasé : le serveur répond 409 et la page le dit. */
(function () {
  "use strict";

  var formulaire = document.getElementById("formulaire-notation");
  if (!formulaire || !window.aap) { return; }

  var url = formulaire.getAttribute("data-enregistrement-auto");
  var cle = "aap:" + formulaire.getAttribute("data-cle");
  var etat = document.getElementById("etat-enregistrement");
  var alerte = document.getElementById("alerte-notation");
  var alerteTexte = document.getElementById("alerte-notation-texte");
  var version = formulaire.querySelector('input[name="version"]');
  var totalValeur = document.getElementById("total-valeur");
  var DELAI = 1500;
  var minuterie = null;
  var enCours = false;
  var aRefaire = false;
  var arrete = false;
  var modifie = false;
  var essais = 0;
  var envoiEnAttente = null;  // bouton cliqué pendant un enregistrement automatique : l'envoi suit

  function lireNombre(texte) {
    var propre = String(texte || "").trim().replace(",", ".");
    if (!/^-?[0-9]+(\.[0-9]+)?$/.test(propre)) { return null; }
    return parseFloat(propre);
  }

  function calculerTotal() {
    var somme = 0;
    Array.prototype.forEach.call(formulaire.querySelectorAll(".aap-critere"), function (bloc) {
      var maximum = parseFloat(bloc.getAttribute("data-maximum"));
      var valeur = lireNombre(bloc.querySelector(".aap-points").value);
      if (valeur !== null && valeur >= 0 && valeur <= maximum && Math.round(valeur * 2) === valeur * 2) {
        somme += valeur;
      }
    });
    totalValeur.textContent = String(somme).replace(".", ",");
  }

  function dire(texte) { etat.textContent = texte; }

  function alerter(texte, lien) {
    alerteTexte.textContent = texte + (lien ? " " : "");
    if (lien) {
      var a = document.createElement("a");
      a.href = lien.href;
      a.textContent = lien.texte;
      alerteTexte.appendChild(a);
    }
    alerte.hidden = false;
  }

  function valeurs() {
    var resultat = {};
    Array.prototype.forEach.call(formulaire.elements, function (champ) {
      if (!champ.name || champ.name === "csrf_token" || champ.name === "version" || champ.type === "submit") { return; }
      if (champ.type === "radio") {
        if (champ.checked) { resultat[champ.name] = champ.value; }
      } else {
        resultat[champ.name] = champ.value;
      }
    });
    return resultat;
  }

  function garderCopie() {
    try {
      localStorage.setItem(cle, JSON.stringify({ version: version.value, valeurs: valeurs() }));
    } catch (e) { /* stockage plein ou interdit : l'enregistrement serveur reste la référence */ }
  }

  function oublierCopie() {
    try { localStorage.removeItem(cle); } catch (e) { /* rien à faire */ }
  }

  function restaurer() {
    var brut = null;
    try { brut = localStorage.getItem(cle); } catch (e) { return; }
    if (!brut) { return; }
    var copie;
    try { copie = JSON.parse(brut); } catch (e) { oublierCopie(); return; }
    // Une copie faite sur une version plus ancienne que celle du serveur ne l'écrase pas.
    if (!copie || copie.version !== version.value) { oublierCopie(); return; }
    var change = false;
    Object.keys(copie.valeurs || {}).forEach(function (nom) {
      var champs = formulaire.querySelectorAll('[name="' + nom.replace(/"/g, "") + '"]');
      Array.prototype.forEach.call(champs, function (champ) {
        if (champ.type === "radio") {
          var coche = champ.value === copie.valeurs[nom];
          if (champ.checked !== coche) { champ.checked = coche; change = true; }
        } else if (champ.value !== copie.valeurs[nom]) {
          champ.value = copie.valeurs[nom];
          change = true;
        }
      });
    });
    if (change) {
      modifie = true;
      dire("Des saisies non enregistrées ont été retrouvées dans ce navigateur ; enregistrement…");
      planifier(0);
    }
  }

  function planifier(delai) {
    window.clearTimeout(minuterie);
    minuterie = window.setTimeout(enregistrer, delai === undefined ? DELAI : delai);
  }

  function message(corps, defaut) {
    return (corps && corps.errors && corps.errors[0] && corps.errors[0].message) || defaut;
  }

  function enregistrer() {
    if (arrete) { return; }
    if (enCours) { aRefaire = true; return; }
    enCours = true;
    aRefaire = false;
    dire("Enregistrement du brouillon…");
    var donnees = new FormData(formulaire);
    donnees.set("action", "brouillon");
    window.aap.envoyer(url, { method: "POST", body: donnees }).then(function (reponse) {
      return reponse.json().catch(function () { return null; }).then(function (corps) {
        return { statut: reponse.status, corps: corps };
      });
    }).then(function (resultat) {
      enCours = false;
      var corps = resultat.corps;
      if (resultat.statut === 200 && corps) {
        essais = 0;
        version.value = String(corps.version);
        totalValeur.textContent = String(corps.total).replace(".", ",");
        dire("Brouillon enregistré à " + corps.enregistre_le + ". Il n'est pas encore soumis.");
        if (envoyerEnAttente()) { return; }
        if (aRefaire) { planifier(); return; }
        modifie = false;
        oublierCopie();
      } else if (resultat.statut === 401) {
        arrete = true;
        dire("Non enregistré : votre session a expiré.");
        alerter("Votre session a expiré. Vos saisies sont gardées dans ce navigateur et seront enregistrées dès votre retour.",
                { href: "/connexion?suite=" + encodeURIComponent(window.location.pathname), texte: "Se reconnecter" });
      } else if (resultat.statut === 409) {
        arrete = true;
        dire("Non enregistré : modification concurrente.");
        alerter(message(corps, "Vos notes ont été modifiées ailleurs."),
                { href: window.location.pathname, texte: "Recharger la version enregistrée" });
      } else if (resultat.statut === 422) {
        if (envoyerEnAttente()) { return; }  // le serveur répondra, champ par champ
        dire("Brouillon non enregistré : " + message(corps, "une valeur est invalide.") +
             " Corrigez-la ; le reste est gardé dans ce navigateur.");
      } else {
        arrete = true;
        dire("Non enregistré.");
        alerter(message(corps, "L'enregistrement a échoué : vos saisies sont gardées dans ce navigateur."));
      }
      envoiEnAttente = null;
    }).catch(function () {
      enCours = false;
      if (envoyerEnAttente()) { return; }
      essais += 1;
      var attente = Math.min(30, 2 * essais);
      dire("Connexion perdue : nouvel essai dans " + attente + " secondes. Vos saisies sont gardées dans ce navigateur.");
      planifier(attente * 1000);
    });
  }

  function envoyerEnAttente() {
    if (envoiEnAttente === null) { return false; }
    var bouton = envoiEnAttente;
    envoiEnAttente = null;
    arrete = true;
    if (formulaire.requestSubmit) { formulaire.requestSubmit(bouton); } else { bouton.click(); }
    return true;
  }

  function changement() {
    calculerTotal();
    if (arrete) { garderCopie(); return; }
    modifie = true;
    garderCopie();
    dire("Modifications en attente d'enregistrement…");
    planifier();
  }

  formulaire.addEventListener("input", changement);
  formulaire.addEventListener("change", changement);
  formulaire.addEventListener("submit", function (evenement) {
    window.clearTimeout(minuterie);
    if (enCours && !arrete) {
      // Un enregistrement automatique est en route : attendre sa version, sinon l'envoi serait refusé (409).
      evenement.preventDefault();
      envoiEnAttente = evenement.submitter || formulaire.querySelector('button[type="submit"]');
      dire("Enregistrement en cours ; l'envoi suit.");
      return;
    }
    arrete = true;  // l'envoi classique prend le relais
  });
  window.addEventListener("beforeunload", function (evenement) {
    if (modifie && !arrete) { evenement.preventDefault(); evenement.returnValue = ""; }
  });
  calculerTotal();
  restaurer();
})();
