-- Résumé d'une exécution de wrk en une ligne JSON (lue par bench/charge.py).
done = function(resume, latence, requetes)
  local e = resume.errors
  io.write(string.format(
    '{"requetes": %d, "duree_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, "erreurs_statut": %d, "erreurs_socket": %d}\n',
    resume.requests, resume.duration, latence:percentile(50), latence:percentile(95), latence:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
