"""`make eval-peers`: the same query set through this project's decision code and through
the alternatives a team would otherwise deploy, measured side by side.

Baselines: Rasa's own FAQ approach (ResponseSelector + fallback threshold, `rasa_faq`), a
plain LangChain + Chroma similarity retriever (`dense`) and BM25 alone (`bm25`). Every
baseline is fit on the knowledge base only and gets one answering threshold, picked on
question variants held out of its training (`protocol`), never on the scored queries.

The command, its files (OUT/peers.json, OUT/peers_curve.png) and PEER_EPOCHS keep the name
they were published under: "peers" are these baselines.
"""
