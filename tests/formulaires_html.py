"""The forms of an HTML page as a browser reads them: action, method, and each field with the value it would send
(text as written, checked boxes, selected options). Standard library only."""

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit


@dataclass
class Champ:
    nom: str
    genre: str  # text, textarea, select, checkbox, radio, hidden, file, password, submit…
    valeur: str = ""
    coche: bool = False
    options: list = field(default_factory=list)  # (valeur, sélectionnée) d'une liste
    multiple: bool = False

    @property
    def choisies(self):
        choisies = [v for v, selectionnee in self.options if selectionnee]
        return choisies if choisies or self.multiple or not self.options else [self.options[0][0]]


@dataclass
class Formulaire:
    action: str
    methode: str
    champs: list = field(default_factory=list)

    def valeurs(self):
        """{name: [values]} as the browser would send them (files and buttons left out)."""
        envoi = {}
        for c in self.champs:
            if c.genre in ("submit", "button", "file", "image", "reset"):
                continue
            if c.genre in ("checkbox", "radio"):
                if c.coche:
                    envoi.setdefault(c.nom, []).append(c.valeur or "on")
            elif c.genre == "select":
                envoi.setdefault(c.nom, []).extend(c.choisies)
            else:
                envoi.setdefault(c.nom, []).append(c.valeur)
        return envoi


class _Lecteur(HTMLParser):
    def __init__(self, adresse):
        super().__init__(convert_charrefs=True)
        self.adresse = adresse
        self.formulaires, self.courant, self.texte, self.liste = [], None, None, None

    def handle_starttag(self, balise, attributs):
        a = {k: (v if v is not None else "") for k, v in attributs}
        if balise == "form":
            action = urlsplit(urljoin(self.adresse, a.get("action") or self.adresse))
            chemin = action.path + (f"?{action.query}" if action.query else "")
            self.courant = Formulaire(chemin, (a.get("method") or "get").lower())
            self.formulaires.append(self.courant)
        elif self.courant is None or "name" not in a:
            if balise == "option" and self.liste is not None:
                self.liste.options.append([a.get("value"), "selected" in a])
            return
        elif balise == "input":
            genre = (a.get("type") or "text").lower()
            self.courant.champs.append(Champ(a["name"], genre, a.get("value", ""), "checked" in a))
        elif balise == "textarea":
            self.texte = Champ(a["name"], "textarea")
            self.courant.champs.append(self.texte)
        elif balise == "select":
            self.liste = Champ(a["name"], "select", multiple="multiple" in a)
            self.courant.champs.append(self.liste)
        elif balise == "button":
            self.courant.champs.append(Champ(a["name"], "submit", a.get("value", "")))

    def handle_data(self, donnees):
        if self.texte is not None:
            self.texte.valeur += donnees
        elif self.liste is not None and self.liste.options and self.liste.options[-1][0] is None:
            self.liste.options[-1][0] = donnees.strip()  # une option sans value envoie son texte

    def handle_endtag(self, balise):
        if balise == "form":
            self.courant = None
        elif balise == "textarea" and self.texte is not None:
            # Le navigateur ignore le saut de ligne qui suit la balise ouvrante.
            self.texte.valeur = self.texte.valeur.removeprefix("\r\n").removeprefix("\n")
            self.texte = None
        elif balise == "select":
            self.liste = None


def formulaires(html, adresse="http://localhost/"):
    lecteur = _Lecteur(adresse)
    lecteur.feed(html)
    return lecteur.formulaires
