"""How the learned classifier's accuracy grows with the number of hand-coded training issues.

    .venv/bin/python benchmarks/classifier_learning_curve.py [--seeds 3]

Dev issues only (annotations/hand_codes.csv, texts from ../shared/paper-data): 5-fold cross-validation
in which each fold's training part is cut to 25%, 50%, 75% and 100%; accuracy and macro-F1 averaged
over the seeds. Held-out issues are never read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from classifier_eval import coded_texts

from issue_assets.analysis import learned
from issue_assets.analysis.evaluation import evaluate


def main() -> None:
    from sklearn.model_selection import StratifiedKFold

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    data = coded_texts()
    dev = data[data["split"] == "dev"].reset_index(drop=True)
    titles, bodies, labels = list(dev["title"]), list(dev["body"]), list(dev["category"])
    rules = learned.rule_features(titles, bodies)
    print(f"{len(labels)} dev issues, 5-fold cross-validation, {args.seeds} seeds")
    print("training issues  accuracy  macro-F1")
    for fraction in (0.25, 0.5, 0.75, 1.0):
        accuracy, macro_f1, sizes = [], [], []
        for seed in range(args.seeds):
            predicted = [""] * len(labels)
            for train, test in StratifiedKFold(5, shuffle=True, random_state=seed).split(np.zeros(len(labels)),
                                                                                          labels):
                train = np.random.default_rng(seed).permutation(train)[:int(len(train) * fraction)]
                sizes.append(len(train))
                model = learned.fit([titles[i] for i in train], [bodies[i] for i in train],
                                     [labels[i] for i in train], 10.0, rules[train])
                guesses, _ = model.predict([titles[i] for i in test], [bodies[i] for i in test], rules[test])
                for i, guess in zip(test, guesses, strict=True):
                    predicted[i] = guess
            result = evaluate(labels, predicted)
            accuracy.append(result.accuracy)
            macro_f1.append(result.macro_f1)
        print(f"{int(np.mean(sizes)):>15}  {np.mean(accuracy):8.3f}  {np.mean(macro_f1):8.3f}", flush=True)


if __name__ == "__main__":
    main()
