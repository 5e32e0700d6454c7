"""Accounts: sign-up with a SIRET, email confirmation, login and its throttles, reset, invitations, tokens."""

from sqlalchemy import func, select

from aap.extensions import db
from aap.models import EntreeJournal, JetonApi, Utilisateur
from candidatures.models import Structure

from .conftest import connecter, texte
from .factories import MOT_DE_PASSE

BON_MOT_DE_PASSE = "lagon-baobab-ylang-2026"


def inscription(client, **champs):
    donnees = {
        "prenom": "Nassur",
        "nom": "Attoumani",
        "email": "nassur@asso.yt",
        "mot_de_passe": BON_MOT_DE_PASSE,
        "confirmation": BON_MOT_DE_PASSE,
        "siret": "845 123 041 00012",
        "raison_sociale": "Association des clauses",
        "statut_juridique": "association",
    }
    return client.post("/inscription", data=donnees | champs)


def test_inscription_cree_la_structure_et_envoie_un_lien_de_confirmation(client, fab, serveur_smtp):
    fab.service()
    reponse = inscription(client)
    assert reponse.status_code == 200
    assert "Vérifiez vos courriels" in texte(reponse)
    utilisateur = db.session.scalar(select(Utilisateur).where(Utilisateur.email == "nassur@asso.yt"))
    assert utilisateur.role == "porteur" and utilisateur.rattachement_valide
    assert utilisateur.structure.siret == "84512304100012"
    assert utilisateur.mot_de_passe_hash != BON_MOT_DE_PASSE

    # Avant confirmation, la connexion est refusée avec un message qui dit quoi faire.
    reponse = client.post("/connexion", data={"email": "nassur@asso.yt", "mot_de_passe": BON_MOT_DE_PASSE})
    assert reponse.status_code == 422
    assert "Confirmez d'abord votre adresse" in texte(reponse)

    [message] = serveur_smtp.pour("nassur@asso.yt")
    assert message["Subject"] == "Confirmez votre adresse électronique"
    lien = serveur_smtp.lien(message)
    assert client.get(lien.replace("http://localhost", "")).status_code == 302
    connecter(client, "nassur@asso.yt", BON_MOT_DE_PASSE)
    assert "Nassur Attoumani" in texte(client.get("/"))


def test_inscription_refusee_garde_la_saisie_et_explique_chaque_champ(client, fab):
    fab.service()
    reponse = inscription(client, siret="84512304100013", mot_de_passe="court", confirmation="court")
    assert reponse.status_code == 422
    assert "clé de contrôle incorrecte" in texte(reponse)
    assert "au moins 12 caractères" in texte(reponse)
    assert 'value="Association des clauses"' in texte(reponse)  # rien de perdu
    assert 'href="#siret"' in texte(reponse)  # le résumé mène au champ
    assert db.session.scalar(select(func.count(Utilisateur.id))) == 0


def test_nouvelle_structure_sans_raison_sociale_est_refusee(client, fab):
    fab.service()
    reponse = inscription(client, raison_sociale="", statut_juridique="")
    assert reponse.status_code == 422
    assert "indiquez sa raison sociale" in texte(reponse)
    assert db.session.scalar(select(func.count(Structure.id))) == 0


def test_une_adresse_deja_connue_ne_se_revele_pas(client, fab, serveur_smtp):
    existant = fab.utilisateur("porteur", email="deja@asso.yt")
    reponse = inscription(client, email="deja@asso.yt")
    assert reponse.status_code == 200 and "Vérifiez vos courriels" in texte(reponse)
    [message] = serveur_smtp.pour("deja@asso.yt")
    assert message["Subject"] == "Vous avez déjà un compte"
    assert db.session.scalar(select(func.count(Utilisateur.id)).where(Utilisateur.email == "deja@asso.yt")) == 1
    assert existant.structure_id is not None


def test_rejoindre_une_structure_existante_attend_l_accord_d_un_membre(client, client_de, fab, serveur_smtp):
    membre = fab.utilisateur("porteur", email="membre@asso.yt")
    structure = membre.structure
    inscription(client, email="nouveau@asso.yt", siret=structure.siret, raison_sociale="", statut_juridique="")
    nouveau = db.session.scalar(select(Utilisateur).where(Utilisateur.email == "nouveau@asso.yt"))
    assert nouveau.structure_id == structure.id and not nouveau.rattachement_valide
    assert not nouveau.porte(structure.id)  # connaître un SIRET n'ouvre rien
    [demande] = serveur_smtp.pour("membre@asso.yt")
    assert "demande à rejoindre" in serveur_smtp.texte(demande)

    session_membre = client_de(membre)
    assert "nouveau@asso.yt" in texte(session_membre.get("/profil"))
    reponse = session_membre.post(f"/profil/rattachements/{nouveau.id}", data={"decision": "accepter"})
    assert reponse.status_code == 302
    db.session.refresh(nouveau)
    assert nouveau.porte(structure.id)
    assert serveur_smtp.pour("nouveau@asso.yt")[-1]["Subject"].startswith("Votre rattachement")


def test_seul_un_membre_de_la_structure_decide_du_rattachement(client, client_de, fab):
    membre = fab.utilisateur("porteur")
    intrus = fab.utilisateur("porteur")
    demandeur = fab.utilisateur("porteur", structure=membre.structure, rattachement_valide=False)
    reponse = client_de(intrus).post(f"/profil/rattachements/{demandeur.id}", data={"decision": "accepter"})
    assert reponse.status_code == 404
    db.session.refresh(demandeur)
    assert not demandeur.rattachement_valide


def test_mauvais_mot_de_passe_message_francais_et_journal(client, fab):
    utilisateur = fab.utilisateur("agent")
    reponse = client.post("/connexion", data={"email": utilisateur.email, "mot_de_passe": "faux faux faux"})
    assert reponse.status_code == 422
    assert "Adresse électronique ou mot de passe incorrect." in texte(reponse)
    actions = db.session.scalars(select(EntreeJournal.action).where(EntreeJournal.objet_id == str(utilisateur.id)))
    assert "connexion.echec" in list(actions)


def test_connexions_limitees_par_adresse_ip(app, client, fab):
    app.config["CONNEXION_LIMITE_ADRESSE"] = "3 per minute"
    utilisateur = fab.utilisateur("agent")
    for _ in range(3):
        client.post("/connexion", data={"email": "inconnu@exemple.fr", "mot_de_passe": "x"})
    reponse = client.post("/connexion", data={"email": utilisateur.email, "mot_de_passe": MOT_DE_PASSE})
    assert reponse.status_code == 429
    assert "Trop de tentatives" in texte(reponse)


def test_reinitialisation_par_lien_a_usage_unique(client, fab, serveur_smtp):
    utilisateur = fab.utilisateur("porteur")
    ancienne = client.application.test_client()
    connecter(ancienne, utilisateur)
    reponse = client.post("/mot-de-passe-oublie", data={"email": utilisateur.email})
    assert "Vérifiez vos courriels" in texte(reponse)
    lien = serveur_smtp.lien(serveur_smtp.pour(utilisateur.email)[-1]).replace("http://localhost", "")
    reponse = client.post(lien, data={"mot_de_passe": BON_MOT_DE_PASSE, "confirmation": BON_MOT_DE_PASSE})
    assert reponse.status_code == 302
    connecter(client, utilisateur, BON_MOT_DE_PASSE)
    # Le lien a servi : il ne sert plus ; la session ouverte avant le changement est fermée.
    assert client.get(lien).status_code == 400
    assert ancienne.get("/profil").status_code == 302


def test_demande_pour_une_adresse_inconnue_meme_reponse_aucun_envoi(client, fab, serveur_smtp):
    reponse = client.post("/mot-de-passe-oublie", data={"email": "personne@exemple.fr"})
    assert "Vérifiez vos courriels" in texte(reponse)
    assert serveur_smtp.messages == []


def test_lien_falsifie_refuse_en_francais(client):
    reponse = client.get("/mot-de-passe/nimportequoi")
    assert reponse.status_code == 400
    assert "Ce lien n'est pas valide." in texte(reponse)


def test_invitation_d_un_agent_par_l_administrateur(client, client_de, fab, serveur_smtp):
    admin = fab.utilisateur("admin")
    reponse = client_de(admin).post(
        "/admin/comptes/inviter", data={"email": "nouvel.agent@deets.gouv.fr", "role": "agent", "prenom": "Ali"}
    )
    assert reponse.status_code == 302
    invite = db.session.scalar(select(Utilisateur).where(Utilisateur.email == "nouvel.agent@deets.gouv.fr"))
    assert invite.role == "agent" and invite.service_id == admin.service_id and invite.mot_de_passe_hash is None
    message = serveur_smtp.pour("nouvel.agent@deets.gouv.fr")[-1]
    assert "«\u202fAgent DEETS\u202f»" in serveur_smtp.texte(message)
    lien = serveur_smtp.lien(message).replace("http://localhost", "")
    client.post(lien, data={"mot_de_passe": BON_MOT_DE_PASSE, "confirmation": BON_MOT_DE_PASSE})
    connecter(client, invite, BON_MOT_DE_PASSE)
    assert "Dossiers" in texte(client.get("/"))


def test_un_agent_ne_peut_pas_inviter(client_de, fab):
    reponse = client_de(fab.utilisateur("agent")).post("/admin/comptes/inviter", data={"email": "x@y.fr", "role": "admin"})
    assert reponse.status_code == 403
    assert db.session.scalar(select(func.count(Utilisateur.id)).where(Utilisateur.email == "x@y.fr")) == 0


def test_changer_un_role_ferme_les_sessions_et_se_journalise(client_de, fab):
    admin = fab.utilisateur("admin")
    copil = fab.utilisateur("copil", service=admin.service)
    session_copil = client_de(copil)
    reponse = client_de(admin).post(f"/admin/comptes/{copil.id}", data={"role": "agent", "actif": "1"})
    assert reponse.status_code == 302
    assert session_copil.get("/profil").status_code == 302  # reconnecté avec ses nouveaux droits
    entree = db.session.scalar(select(EntreeJournal).where(EntreeJournal.action == "compte.modification"))
    assert entree.acteur == admin.email and '"role":"agent"' in entree.details


def test_un_administrateur_ne_voit_pas_les_comptes_d_un_autre_service(client_de, fab):
    admin = fab.utilisateur("admin")
    ailleurs = fab.utilisateur("agent", service=fab.service(code="974"))
    assert client_de(admin).get(f"/admin/comptes/{ailleurs.id}").status_code == 404
    assert ailleurs.email not in texte(client_de(admin).get("/admin/comptes"))


def test_jeton_d_api_montre_une_fois_stocke_hache_revocable(client_de, fab):
    agent = fab.utilisateur("agent")
    session = client_de(agent)
    reponse = session.post("/profil/jetons", data={"nom": "tableur"}, follow_redirects=True)
    jeton_clair = reponse.text.split('id="jeton-clair">')[1].split("<")[0]
    assert jeton_clair.startswith("aap_")
    assert jeton_clair not in texte(session.get("/profil"))  # une seule fois
    jeton = db.session.scalar(select(JetonApi).where(JetonApi.utilisateur_id == agent.id))
    assert jeton.empreinte != jeton_clair and jeton_clair not in jeton.empreinte
    api = session.application.test_client()
    assert api.get("/api/v1/moi", headers={"Authorization": f"Bearer {jeton_clair}"}).status_code == 200
    session.post(f"/profil/jetons/{jeton.id}/revoquer")
    assert api.get("/api/v1/moi", headers={"Authorization": f"Bearer {jeton_clair}"}).status_code == 401


def test_on_ne_revoque_pas_le_jeton_d_un_autre(client_de, fab):
    _, jeton = fab.jeton(fab.utilisateur("agent"))
    assert client_de(fab.utilisateur("agent")).post(f"/profil/jetons/{jeton.id}/revoquer").status_code == 404
    db.session.refresh(jeton)
    assert jeton.revoque_le is None


def test_deconnexion_par_post_seulement(client_de, fab):
    session = client_de(fab.utilisateur("agent"))
    assert session.get("/deconnexion").status_code == 405
    assert session.post("/deconnexion").status_code == 302
    assert session.get("/profil").status_code == 302


def test_redirection_apres_connexion_reste_sur_le_site(client, fab):
    utilisateur = fab.utilisateur("agent")
    # Hors du site, la cible est ignorée : l'agent arrive sur « À faire », sa prochaine étape.
    for cible, attendu in [
        ("/journal", "/journal"),
        ("//pirate.example", "/conventions/a-faire"),
        ("https://pirate.example", "/conventions/a-faire"),
    ]:
        nouveau = client.application.test_client()
        reponse = nouveau.post(f"/connexion?suite={cible}", data={"email": utilisateur.email, "mot_de_passe": MOT_DE_PASSE})
        assert reponse.headers["Location"] == attendu
