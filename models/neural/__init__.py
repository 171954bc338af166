"""Neural sequence recommenders: attentive BiGRU network (random / Word2Vec / LSA init, multimodal
fusion), GRU4Rec, SASRec, BERT4Rec (with multimodal initialisation) and TransRec.

Registered classes live in ``ann``, ``gru4rec``, ``sasrec``, ``bert4rec`` and ``transrec``; torch
is imported only by ``trainer`` and ``nets`` when a model is trained, scored or loaded.
"""
