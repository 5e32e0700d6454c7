"""The documents a closed session produces, stored as files with their SHA-256 (`aap.fichiers`):
the minutes (procès-verbal, PDF), one notification letter per dossier (PDF) and the workbook (XLSX).

The workbook goes through `aap.exports.Classeur`: every text cell is written as text, so a comment
typed as `=HYPERLINK("http://…")` stays that text and never becomes a formula.
"""

from aap.exports import ClasseurFeuilles, Colonne
from aap.fichiers import enregistrer_produit
from aap.pdf import rendre_pdf
from aap.types import maintenant


def _nom(texte):
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in texte)


def proces_verbal(tableau, declarations, manquantes=(), *, par, instant=None):
    """The minutes. `manquantes`: [(member's name, dossiers not scored)] when the session was closed with scores
    missing."""
    seance = tableau.seance
    membres = {m.utilisateur_id: m.utilisateur for m in seance.membres}
    deports = [(membres.get(d.membre_id), d) for d in declarations if d.conflit and d.membre_id in membres]
    contenu = rendre_pdf(
        "notation/pdf/proces_verbal.html",
        service=seance.service,
        tableau=tableau,
        seance=seance,
        deports=deports,
        manquantes=manquantes,
        produit_le=instant or maintenant(),
    )
    nom = f"proces-verbal-copil-{seance.annee}-T{seance.trimestre}-{seance.id}.pdf"
    return enregistrer_produit(nom, contenu, "pdf", par=par, service_id=seance.service_id)


def lettre(tableau, ligne, *, par, instant=None):
    seance = tableau.seance
    contenu = rendre_pdf(
        "notation/pdf/lettre.html",
        service=seance.service,
        tableau=tableau,
        ligne=ligne,
        seance=seance,
        dossier=ligne.dossier,
        structure=ligne.dossier.structure,
        decision=ligne.decision,
        notifie_le=instant or maintenant(),
        contact=seance.campagne.courriel_contact,
    )
    nom = f"notification-{_nom(ligne.dossier.numero or str(ligne.dossier.id))}.pdf"
    return enregistrer_produit(nom, contenu, "pdf", par=par, service_id=seance.service_id)


COLONNES_CLASSEMENT = [
    Colonne("Rang", "entier", 7),
    Colonne("Ex aequo", "booleen", 9),
    Colonne("Numéro", "texte", 20),
    Colonne("Structure", "texte", 32),
    Colonne("Projet", "texte", 40),
    Colonne("Notes reçues", "entier", 10),
    Colonne("Notes attendues", "entier", 10),
    Colonne("Moyenne /100", "decimal", 11),
    Colonne("Médiane /100", "decimal", 11),
    Colonne("Écart-type", "decimal", 10),
    Colonne("Critères en désaccord", "texte", 30),
    Colonne("Montant demandé", "euros", 15),
    Colonne("Cumul demandé", "euros", 15),
    Colonne("Enveloppe", "texte", 20),
    Colonne("Décision", "texte", 12),
    Colonne("Montant accordé", "euros", 15),
    Colonne("ETP facilitateur financés", "decimal", 12),
    Colonne("ETP coordinateur financés", "decimal", 12),
    Colonne("Conditions", "texte", 30),
    Colonne("Motif", "texte", 30),
]


def classeur(tableau, feuilles, declarations, *, par):
    """The session's workbook: a summary sheet with the ranking, then one sheet per dossier with each
    member's scores and comments, the recusals, the mean per criterion and its chart."""
    seance = tableau.seance
    classeur_ = ClasseurFeuilles("Classement", COLONNES_CLASSEMENT)
    for ligne in tableau.lignes:
        classeur_.ligne(_ligne_classement(ligne))
    membres = {m.utilisateur_id: m.utilisateur for m in seance.membres}
    codes = {c.code: c for c in seance.campagne.criteres}
    colonnes = [Colonne("Membre", "texte", 26), Colonne("Avis", "texte", 12), Colonne("Total /100", "decimal", 10)]
    for critere in tableau.grille:
        colonnes.append(Colonne(f"{critere.libelle} (/{critere.maximum:g})", "decimal", 14))
        colonnes.append(Colonne(f"Commentaire — {critere.libelle}", "texte", 30))
    colonnes.append(Colonne("Commentaire général", "texte", 40))
    for ligne in tableau.lignes:
        dossier = ligne.dossier
        nom_feuille = (dossier.numero or f"Dossier {dossier.id}")[:31]
        classeur_.nouvelle_feuille(nom_feuille, colonnes)
        deportes = {d.membre_id for d in declarations if d.dossier_id == dossier.id and d.conflit}
        for feuille in (f for f in feuilles if f.dossier_id == dossier.id and f.membre_id not in deportes):
            classeur_.ligne(_ligne_feuille(feuille, tableau.grille, membres, codes))
        for utilisateur, declaration in ligne.deportes:
            classeur_.ligne(
                [utilisateur.nom_complet, "Déporté", None]
                + [None, ""] * len(tableau.grille)
                + [f"Conflit d'intérêts déclaré : {declaration.nature}"]
            )
        _moyennes_par_critere(classeur_, ligne.agregat, nom_feuille)
    contenu = classeur_.octets()
    nom = f"notes-copil-{seance.annee}-T{seance.trimestre}-{seance.id}.xlsx"
    return enregistrer_produit(nom, contenu, "xlsx", par=par, service_id=seance.service_id)


def _ligne_classement(ligne):
    agregat, rang, decision, dossier = ligne.agregat, ligne.classement, ligne.decision, ligne.dossier
    return [
        rang.rang,
        rang.ex_aequo,
        dossier.numero,
        dossier.structure.raison_sociale,
        dossier.titre,
        agregat.recues,
        agregat.attendues,
        agregat.moyenne,
        agregat.mediane,
        agregat.ecart_type,
        ", ".join(c.libelle for c in agregat.desaccords),
        dossier.montant_demande,
        rang.cumul,
        rang.enveloppe.libelle,
        decision.nature.libelle if decision else "",
        decision.montant_accorde if decision else None,
        decision.etp_facilitateur if decision else None,
        decision.etp_coordinateur if decision else None,
        decision.conditions if decision else "",
        decision.motif if decision else "",
    ]


def _ligne_feuille(feuille, grille, membres, codes):
    """A member's sheet: his name, opinion and total, then points and comment per criterion, then his comment."""
    notes = {n.critere_id: n for n in feuille.notes}
    valeurs = [
        membres.get(feuille.membre_id, feuille.membre).nom_complet,
        feuille.avis.libelle if feuille.avis else "",
        feuille.total,
    ]
    for critere in grille:
        note = notes.get(codes[critere.code].id)
        valeurs += [note.points if note else None, note.commentaire if note else ""]
    valeurs.append(feuille.commentaire)
    return valeurs


def _moyennes_par_critere(classeur_, agregat, nom_feuille):
    """Below the sheets of a dossier: the mean per criterion as a table, and the chart of it once scores came."""
    debut = classeur_.lignes + 2
    classeur_.titre(debut, "Moyenne par critère")
    for j, titre in enumerate(("Critère", "Maximum", "Moyenne")):
        classeur_.feuille.write_string(debut + 1, j, titre, classeur_.format_entete)
    for i, stat in enumerate(agregat.criteres):
        classeur_.cellule(debut + 2 + i, 0, "texte", stat.libelle)
        classeur_.cellule(debut + 2 + i, 1, "decimal", stat.maximum)
        classeur_.cellule(debut + 2 + i, 2, "decimal", stat.moyenne)
    fin = debut + 1 + len(agregat.criteres)
    if not agregat.recues:
        return
    graphique = classeur_.classeur.add_chart({"type": "bar"})
    for nom, colonne, etiquettes in (("Moyenne", 2, True), ("Maximum", 1, False)):
        serie = {
            "name": nom,
            "categories": [nom_feuille, debut + 2, 0, fin, 0],
            "values": [nom_feuille, debut + 2, colonne, fin, colonne],
        }
        graphique.add_series(serie | ({"data_labels": {"value": True}} if etiquettes else {}))
    graphique.set_title({"name": f"Moyenne par critère — {nom_feuille}"})
    graphique.set_y_axis({"reverse": True})
    graphique.set_legend({"position": "bottom"})
    graphique.set_size({"width": 720, "height": 420})
    classeur_.feuille.insert_chart(fin + 2, 0, graphique)
