"""The convention and its avenants as documents: a PDF (WeasyPrint) to sign in three copies, and an editable
DOCX for the DEETS's legal review. Both are rendered from one structured content (`contenu(annee)`): the
articles the call requires (AAP §D.1, §D.2, §B.2-3), so that the two formats never say different things.
"""

import io
from dataclasses import dataclass, field

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from aap.fichiers import enregistrer_produit
from aap.formats import date_fr, etp, euros, le, minuscule_initiale, nombre, pourcentage, typographie
from aap.pdf import rendre_pdf
from aap.types import maintenant
from candidatures.synthese import synthese_budget

from . import regles, suivi


@dataclass
class Article:
    titre: str
    paragraphes: list = field(default_factory=list)
    entetes: list = field(default_factory=list)
    lignes: list = field(default_factory=list)
    puces: list = field(default_factory=list)
    apres: list = field(default_factory=list)


@dataclass
class Contenu:
    titre: str
    sous_titre: str
    parties: list
    visas: list
    articles: list
    lieu_date: str
    signataires: list


def _nom(texte):
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in texte)


def _valeur_cible(indicateur, cible):
    if cible is None:
        return "—"
    if indicateur.type == "euros":
        return euros(cible)
    suffixe = " heures" if indicateur.type == "heures" else ""
    return nombre(cible) + suffixe


def _calendrier_bilans(annee):
    lignes = []
    for bilan in sorted(annee.bilans, key=lambda b: (b.echeance, b.ordre)):
        if bilan.type == regles.TRIMESTRIEL:
            objet = f"Bilan quantitatif trimestriel du coordinateur : résultats au {date_fr(bilan.arrete_au)}"
        elif bilan.type == regles.INTERMEDIAIRE:
            objet = "Bilan intermédiaire"
        elif bilan.type == regles.FINANCIER:
            objet = f"Compte rendu financier (cerfa n° 15059), à partir du {date_fr(bilan.ouverture)}"
        else:
            objet = "Bilan annuel (dépenses de l'année estimées)"
        lignes.append([objet, date_fr(bilan.echeance)])
    return lignes


def _articles_communs(annee, numero_premier):
    """The articles a convention and an avenant share: amount and payments, targets, reports."""
    n = numero_premier
    return [_article_versements(annee, n), _article_objectifs(annee, n + 1), _article_comptes_rendus(annee, n + 2)]


def _article_versements(annee, n):
    convention = annee.convention
    avance, solde = annee.avance, annee.solde
    return Article(
        f"Article {n} — Montant de la subvention et modalités de versement",
        [
            f"Pour la période du {date_fr(annee.debut)} au {date_fr(annee.fin)}, l'État attribue à la structure une "
            f"subvention de {euros(annee.montant)} pour {etp(annee.etp_facilitateur)} ETP de facilitateur et "
            f"{etp(annee.etp_coordinateur)} ETP de coordinateur régional de la clause sociale d'insertion.",
            "La subvention est versée sous réserve de la disponibilité des crédits, dans les conditions suivantes (AAP §D.2) :",
        ],
        ["Versement", "Montant", "Critère de déclenchement", "Calendrier prévisionnel"],
        [
            [
                "Avance (50 %)",
                euros(avance.montant_prevu),
                "Signature de la " + ("convention" if annee.rang == 1 else "présente convention modificative"),
                "À la signature" + (f", au plus tard le {date_fr(convention.date_limite_signature)}" if annee.rang == 1 else ""),
            ],
            [
                "Solde (50 % au plus)",
                euros(solde.montant_prevu),
                "Réalisation : approbation du compte rendu financier (cerfa n° 15059) de l'année",
                f"Après la fin de l'année ({date_fr(annee.fin)}), sur le compte rendu financier remis au plus tard le "
                f"{date_fr(annee.compte_rendu_financier.echeance)}",
            ],
        ],
        apres=[
            f"L'État finance au plus {pourcentage(convention.taux_plafond)} des dépenses éligibles réellement engagées "
            f"pour l'action (AAP §B.2-3), sans dépasser la subvention de l'année : le montant dû pour l'année est "
            f"{pourcentage(convention.taux_plafond)} des dépenses éligibles justifiées par le compte rendu financier, "
            f"dans la limite de {euros(annee.montant)}. Le solde est ce montant dû, l'avance déduite ; il peut être "
            "réduit, sur décision motivée de l'administration, lorsque les réalisations sont inférieures à ce qui est "
            "convenu. Lorsque le montant dû est inférieur à l'avance versée, la structure reverse la différence, sur "
            "titre de perception. Les dépenses indiquées au bilan annuel sont une estimation : seul le compte rendu "
            "financier fixe le solde.",
        ],
    )


def _article_objectifs(annee, n):
    return Article(
        f"Article {n} — Indicateurs d'évaluation et objectifs",
        [
            "Les indicateurs quantitatifs et qualitatifs ci-dessous évaluent l'action financée ; leur atteinte "
            "conditionne le renouvellement de la subvention les années suivantes (AAP §D.1). Les objectifs chiffrés "
            "sont convenus avec la structure :"
        ],
        ["Poste", "Indicateur", "Objectif de l'année"],
        [
            [regles.LIBELLES_POSTES[o.poste], o.indicateur.libelle, _valeur_cible(o.indicateur, o.cible)]
            for o in annee.objectifs
            if o.indicateur is not None
        ],
        apres=[
            "Les bilans renseignent en outre les indicateurs qualitatifs : "
            + " ; ".join(
                regles.minuscule(i.libelle)
                for i in suivi.indicateurs_du_bilan(regles.ANNUEL, annee.etp_facilitateur, annee.etp_coordinateur)
                if not i.numerique
            )
            + "."
        ],
    )


def _article_comptes_rendus(annee, n):
    postes = suivi.postes_de(annee.etp_facilitateur, annee.etp_coordinateur)
    minimums = []
    for poste in postes:
        libelles = [
            regles.minuscule(i.libelle) for i in suivi.INDICATEURS if i.poste == poste and regles.INTERMEDIAIRE in i.bilans
        ]
        minimums.append(f"Pour les {regles.LIBELLES_POSTES[poste]} : " + " ; ".join(libelles) + ".")
    annuels = [regles.minuscule(i.libelle) for i in suivi.INDICATEURS if i.poste == regles.ENSEMBLE]
    return Article(
        f"Article {n} — Comptes rendus et calendrier des bilans",
        ["La structure fournit à l'administration, sur la plateforme des appels à projets, des bilans consolidés (AAP §D.1) :"],
        ["Bilan", "À remettre au plus tard le"],
        _calendrier_bilans(annee),
        puces=[
            "le bilan intermédiaire indique au minimum : " + " ".join(minimums),
            "le rapport annuel, remis deux mois avant le terme de la convention (AAP §D.2), reprend ces indicateurs "
            "pour l'année et comprend : " + " ; ".join(annuels) + ".",
            "le compte rendu financier de l'action (cerfa n° 15059) est remis une fois la période terminée, au plus "
            "tard six mois après sa fin : il fixe les dépenses éligibles, donc le solde.",
        ]
        + (
            [
                "les bilans quantitatifs du coordinateur régional sont transmis chaque trimestre avec un décalage d'un "
                "trimestre (annexe 1 : le bilan transmis le 1er janvier détaille les résultats au 1er octobre)."
            ]
            if annee.etp_coordinateur > 0
            else []
        ),
    )


def _parties(convention):
    structure, service = convention.beneficiaire, convention.service
    representant = ""
    if structure.representant_nom:
        representant = f", représentée par {structure.representant_nom}"
        if structure.representant_qualite:
            representant += f", {minuscule_initiale(structure.representant_qualite)}"
    adresse = "".join(f", {ligne}" for ligne in structure.adresse_postale)
    return [
        f"L'État, représenté par {le(service.prefet)}, et par délégation {le(service.nom)}, ci-après « l'administration »,",
        f"{structure.raison_sociale}, {minuscule_initiale(structure.libelle_statut)}, SIRET {structure.siret}{adresse}"
        f"{representant}, ci-après « la structure ».",
    ]


def _postes_finances(annee):
    """The subtitle names only the posts the year funds (AAP §A: facilitateur, coordinateur régional)."""
    postes = []
    if annee.etp_facilitateur > 0:
        postes.append("de facilitateur")
    if annee.etp_coordinateur > 0:
        postes.append("de coordinateur régional")
    nombre_ = "de postes" if annee.etp_facilitateur + annee.etp_coordinateur > 1 or len(postes) > 1 else "d'un poste"
    return f"relative au financement {nombre_} {' et '.join(postes)} de la clause sociale d'insertion"


def _lieu_date(service):
    return f"Fait à {service.lieu_signature}, en trois exemplaires originaux, le ………………"


def contenu(annee):
    """The articles of the convention (year 1) or of an avenant (years 2 and 3)."""
    return _contenu_convention(annee) if annee.rang == 1 else _contenu_avenant(annee)


def _signataires(convention):
    service, beneficiaire = convention.service, convention.beneficiaire
    return [
        f"Pour {le(service.prefet)} et par délégation, {service.signataire}, {service.signataire_qualite}",
        f"Pour la structure, {beneficiaire.representant_nom or beneficiaire.raison_sociale}"
        + (f", {beneficiaire.representant_qualite}" if beneficiaire.representant_qualite else ""),
    ]


def _visas(convention):
    dossier, decision, campagne = convention.dossier, convention.decision, convention.campagne
    return [
        f"Vu l'appel à projets national « {campagne.titre} » (PNAD 2022-2025, volet social), campagne {campagne.annee}, "
        f"relayé par la {convention.service.nom} ;",
        "Vu la loi n° 2000-321 du 12 avril 2000, notamment son article 10, et le décret n° 2001-495 du 6 juin 2001 ;",
        f"Vu la demande de subvention de la structure, dossier n° {dossier.numero} « {dossier.titre} » ;",
        f"Vu la décision du comité de pilotage départemental du {date_fr(decision.seance.tenue_le)}, notifiée le "
        f"{date_fr(convention.notifie_le)} ;",
    ]


def _contenu_convention(annee):
    convention = annee.convention
    articles = [*_articles_projet(annee), *_articles_communs(annee, 4), *_articles_engagements(convention.decision)]
    _completer_budget(articles[3], annee)
    return Contenu(
        titre=f"Convention n° {convention.numero}",
        sous_titre=_postes_finances(annee),
        parties=_parties(convention),
        visas=_visas(convention),
        articles=articles,
        lieu_date=_lieu_date(convention.service),
        signataires=_signataires(convention),
    )


def _articles_projet(annee):
    """Articles 1 to 3 of a convention: its object (the project, its territory and missions), term and timetable."""
    convention = annee.convention
    dossier = convention.dossier
    missions = [m.libelle for m in dossier.missions]
    communes = ", ".join(c.nom for c in dossier.communes)
    return [
        Article(
            "Article 1 — Objet",
            [
                f"La présente convention a pour objet le financement par l'État du projet « {dossier.titre} » porté par "
                f"la structure : {etp(annee.etp_facilitateur)} ETP de facilitateur et {etp(annee.etp_coordinateur)} ETP "
                "de coordinateur régional de la clause sociale d'insertion.",
                *([f"Territoire d'intervention : {communes}."] if communes else []),
                *([f"Objectifs du projet : {dossier.objectifs}"] if dossier.objectifs else []),
                *([f"Stratégie de mise en œuvre : {dossier.strategie}"] if dossier.strategie else []),
            ],
            puces=missions and ["Missions retenues (AAP §B.2-1, annexe 1) : " + " ; ".join(missions) + "."],
        ),
        Article(
            "Article 2 — Durée et date d'effet",
            [
                f"La convention est conclue pour douze mois. Elle prend effet le {date_fr(annee.debut)} et s'achève le "
                f"{date_fr(annee.fin)}.",
                "Elle est reconductible, en fonction des résultats obtenus, par avenant annuel, dans la limite de trois "
                "ans (AAP §D.1). La décision de reconduction se fonde sur le bilan annuel.",
                f"Elle est conclue au plus tard dans les quinze jours à compter de la notification de la décision, soit "
                f"le {date_fr(convention.date_limite_signature)}.",
            ],
        ),
        Article(
            "Article 3 — Calendrier prévisionnel de déploiement",
            [dossier.calendrier or "Le calendrier de déploiement est celui du dossier de candidature."],
        ),
    ]


def _articles_engagements(decision):
    """Articles 7 to 9 of a convention: the structure's commitments, the control, the copies."""
    return [
        Article(
            "Article 7 — Engagements de la structure",
            [],
            puces=[
                "ne pas baisser les financements préexistants des autres postes de facilitateurs et de coordinateurs "
                "qu'elle porte (AAP §B.2-3) ;",
                "inscrire les facilitateurs et coordinateurs financés sur le Marché de l'inclusion "
                "(https://lemarche.inclusion.beta.gouv.fr) (AAP §D.2) ;",
                "informer sans délai l'administration de toute difficulté dans la mise en œuvre du projet, de toute "
                "vacance de poste et de toute modification de ses statuts ou de ses financements ;",
                *(
                    [f"respecter les conditions posées par le comité de pilotage : {decision.conditions}"]
                    if decision.conditions
                    else []
                ),
            ],
        ),
        Article(
            "Article 8 — Contrôle",
            [
                "L'administration suit la bonne exécution du projet. La structure tient à sa disposition toute pièce "
                "justificative de l'emploi des fonds. Les sommes dont l'emploi n'est pas justifié, ou qui excèdent la part "
                "de l'État des dépenses éligibles, sont reversées.",
            ],
        ),
        Article("Article 9 — Exemplaires", ["La présente convention est établie en trois exemplaires originaux."]),
    ]


def _contenu_avenant(annee):
    convention = annee.convention
    precedente = convention.annee(annee.rang - 1)
    articles = [
        Article(
            "Article 1 — Objet",
            [
                f"Au vu du bilan annuel de l'année {precedente.rang}, approuvé par l'administration, la convention "
                f"n° {convention.numero} est renouvelée pour une année, du {date_fr(annee.debut)} au {date_fr(annee.fin)} "
                f"(année {annee.rang} sur trois au plus, AAP §D.1).",
            ],
        ),
        *_articles_communs(annee, 2),
        Article(
            "Article 5 — Autres stipulations",
            [
                "Les autres stipulations de la convention demeurent inchangées, notamment les engagements de non-baisse "
                "des financements préexistants et d'inscription sur le Marché de l'inclusion.",
                "Le présent avenant est établi en trois exemplaires originaux.",
            ],
        ),
    ]
    _completer_budget(articles[1], annee)
    return Contenu(
        titre=f"Avenant n° {annee.rang - 1} à la convention n° {convention.numero}",
        sous_titre=f"Renouvellement pour l'année {annee.rang}",
        parties=_parties(convention),
        visas=_visas(convention) + [f"Vu la convention n° {convention.numero} signée le {date_fr(convention.signee_le)} ;"],
        articles=articles,
        lieu_date=_lieu_date(convention.service),
        signataires=_signataires(convention),
    )


def _completer_budget(article, annee):
    """The year's budget from the dossier (cerfa 12156): the State's share and the co-financing."""
    annees = synthese_budget(annee.convention.dossier)
    if not annees:
        return
    budget = annees[min(annee.rang, len(annees)) - 1]
    if budget.charges <= 0:
        return
    article.apres.append(
        f"Le coût prévisionnel de l'action pour cette année est de {euros(budget.charges)} ; la subvention en "
        f"représente {pourcentage(annee.montant / budget.charges)}, le reste étant cofinancé comme le prévoit le "
        "budget du dossier (AAP §B.2-3)."
    )


# --- Rendus ---------------------------------------------------------------------------------------------


def pdf(annee):
    convention = annee.convention
    return rendre_pdf(
        "conventions/pdf/convention.html", service=convention.service, contenu=contenu(annee), convention=convention, annee=annee
    )


def _proprietes(document, titre, service):
    """Title, author (the service), dates and language: what a reader or an archive sees of the file, instead of
    python-docx's template (« python-docx », 2013, en-US)."""
    instant = maintenant().replace(tzinfo=None, microsecond=0)
    proprietes = document.core_properties
    proprietes.title, proprietes.subject = titre, "Convention de subvention"
    proprietes.author = proprietes.last_modified_by = service.nom
    proprietes.created = proprietes.modified = instant
    proprietes.language = "fr-FR"
    proprietes.keywords = proprietes.comments = proprietes.category = ""
    proprietes.revision = 1
    # La langue des textes : celle des styles par défaut (correcteur, lecteurs d'écran).
    langue = document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr")).find(qn("w:lang"))
    for attribut in ("w:val", "w:eastAsia", "w:bidi"):
        langue.set(qn(attribut), "fr-FR")


def docx_(annee):
    document = docx.Document()
    style = document.styles["Normal"]
    style.font.name, style.font.size = "Arial", Pt(10)
    c = contenu(annee)
    service = annee.convention.service
    _proprietes(document, c.titre, service)
    entete = document.add_paragraph()
    entete.add_run(service.intitule_officiel.upper()).bold = True
    entete.add_run(f"\n{service.nom}")
    document.add_heading(c.titre, level=0)
    document.add_paragraph(c.sous_titre).alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_paragraph("Entre :")
    document.add_paragraph(c.parties[0])
    document.add_paragraph("Et :")
    document.add_paragraph(c.parties[1])
    for visa in c.visas:
        document.add_paragraph(visa)
    document.add_paragraph("Il est convenu ce qui suit :")
    for article in c.articles:
        _docx_article(document, article)
    document.add_paragraph(c.lieu_date)
    signatures = document.add_table(rows=1, cols=len(c.signataires))
    for cellule, signataire in zip(signatures.rows[0].cells, c.signataires, strict=True):
        cellule.text = f"{signataire}\n\n\n(signature)"
    paragraphes = document.paragraphs + [p for t in document.tables for r in t.rows for c in r.cells for p in c.paragraphs]
    for run in (run for paragraphe in paragraphes for run in paragraphe.runs):
        run.text = typographie(run.text)
    sortie = io.BytesIO()
    document.save(sortie)
    return sortie.getvalue()


def _docx_article(document, article):
    """An article: its title, paragraphs, bullets, table (header in bold) and closing paragraphs."""
    document.add_heading(article.titre, level=2)
    for paragraphe in article.paragraphes:
        document.add_paragraph(paragraphe)
    for puce in article.puces or []:
        document.add_paragraph(puce, style="List Bullet")
    if article.entetes:
        tableau = document.add_table(rows=1, cols=len(article.entetes))
        tableau.style = "Table Grid"
        for cellule, titre in zip(tableau.rows[0].cells, article.entetes, strict=True):
            cellule.text = titre
            for run in cellule.paragraphs[0].runs:
                run.bold = True
        for ligne in article.lignes:
            for cellule, valeur in zip(tableau.add_row().cells, ligne, strict=True):
                cellule.text = valeur
    for paragraphe in article.apres:
        document.add_paragraph(paragraphe)


def produire(annee, *, par):
    """Renders and stores the year's document, PDF and DOCX (their SHA-256 in the audit log)."""
    convention = annee.convention
    base = _nom(f"{'convention' if annee.rang == 1 else f'avenant-{annee.rang - 1}'}-{convention.numero}")
    fichier_pdf = enregistrer_produit(f"{base}.pdf", pdf(annee), "pdf", par=par, service_id=convention.service_id)
    fichier_docx = enregistrer_produit(f"{base}.docx", docx_(annee), "docx", par=par, service_id=convention.service_id)
    return fichier_pdf, fichier_docx
