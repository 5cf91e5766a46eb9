"""The words the app shows, each explained for a 12-year-old: for `help=` tooltips and a word list.

Plain data and two lookups, no Streamlit: a page asks `help_for("epochs")`, a test asks
`terms_in(caption)` which terms a text shows, so that each gets its explanation next to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    """A word as the app shows it, what it means in plain words, and its other forms on screen."""

    name: str  # e.g. "feature map"
    meaning: str  # 1-3 short sentences, no other jargon unless it has its own entry
    aliases: tuple[str, ...] = ()  # plurals and the app's other wordings: "feature maps"


# In teaching order: a term's meaning mostly uses words explained before it.
_TERMS = (
    Term(
        "pixel",
        "One tiny square of a picture. Each digit the network reads is a 28 × 28 picture: "
        "784 pixels, each a shade of grey from black to white.",
        ("pixels",),
    ),
    Term(
        "MNIST",
        "A famous set of 70,000 handwritten digits, each a 28 × 28 picture with its right "
        "answer. Networks here learn from up to 60,000 of them and are tested on the other 10,000.",
    ),
    Term(
        "label",
        "The right answer that goes with a picture: the digit it really shows. When you press "
        "Yes or No on the Draw page, your drawing gets its label.",
        ("labels", "labelled", "labeled"),
    ),
    Term(
        "neural network",
        "A program that learns from examples instead of being given rules, here to recognize "
        "digits. It is made of many tiny parts called neurons, set out in layers.",
        ("neural networks", "network", "networks"),
    ),
    Term(
        "model",
        "A network that has been trained and saved, with all it learned. The Models page lists "
        "them, and the default one is what the other pages use.",
        ("models",),
    ),
    Term(
        "neuron",
        "One tiny part of a network. It takes in numbers, gives each one its own weight, adds "
        "them up and passes on how strongly it lights up.",
        ("neurons", "unit", "units"),
    ),
    Term(
        "weight",
        "A number inside the network that says how much one thing counts for the next. Training "
        "changes the weights a little after every batch: they are what the network has learned.",
        ("weights",),
    ),
    Term(
        "bias",
        "One more number a neuron or a filter adds to its sum. It lets it light up more easily, "
        "or less easily, whatever the picture.",
        ("biases",),
    ),
    Term(
        "layer",
        "One stage of a network, often a row of neurons or filters side by side. The picture goes "
        "in at the first layer, and the last layer gives one score to each digit from 0 to 9.",
        ("layers",),
    ),
    Term(
        "hidden layer",
        "Any layer between the picture going in and the scores coming out. The perceptron has "
        "none, and the MLP has two.",
        ("hidden layers",),
    ),
    Term(
        "dense layer",
        "A layer in which each neuron looks at everything the layer before it gives out. In the "
        "perceptron, each of the ten neurons looks at all 784 pixels.",
        ("dense layers", "dense"),
    ),
    Term(
        "parameters",
        "All the numbers a network can change while it learns, most of them weights. The "
        "perceptron has under 8,000 of them, and the classic CNN more than 3 million.",
        ("parameter",),
    ),
    Term(
        "architecture",
        "The plan of a network: which layers it has, how big they are and in what order. You "
        "can pick one of five, from the tiny perceptron to our CNN.",
        ("architectures",),
    ),
    Term(
        "perceptron",
        "The simplest network here: one layer of ten neurons, one for each digit, each looking "
        "at every pixel. It learns fast but gets more digits wrong than the others.",
        ("perceptrons",),
    ),
    Term(
        "MLP",
        "Short for multi-layer perceptron: a perceptron with hidden layers in between. Ours has "
        "two, of 256 and 128 neurons, so it can mix simple clues into better ones.",
        ("MLPs", "multi-layer perceptron", "multi-layer perceptrons"),
    ),
    Term(
        "ReLU",
        "A rule many neurons follow. A number below zero becomes zero, and a number above zero "
        "goes through as it is. So a neuron stays dark unless it finds its clue.",
    ),
    Term(
        "convolution",
        "Sliding a small filter over the whole picture, one spot at a time, and noting how well "
        "each spot matches it. The result is a feature map of where the pattern is.",
        (
            "convolutions",
            "conv",
            "conv layer",
            "conv layers",
            "convolutional layer",
            "convolutional layers",
        ),
    ),
    Term(
        "filter",
        "A tiny pattern of weights, 3 × 3 or 5 × 5 pixels, that a convolution slides over the "
        "picture. One filter may look for an edge, another for a curve.",
        ("filters",),
    ),
    Term(
        "feature map",
        "The picture a filter makes as it slides over the digit: a big number where it found "
        "its pattern, a small one where it did not. Inside the network they show bright and dark.",
        ("feature maps",),
    ),
    Term(
        "pooling",
        "Making a feature map smaller by keeping only the brightest value of each 2 × 2 square. "
        "The map gets four times smaller, and a small shift of the drawing matters less.",
        ("pool", "pool layer", "pool layers", "pooling layer", "pooling layers", "max pooling"),
    ),
    Term(
        "CNN",
        "Short for convolutional neural network. Its first layers are convolutions, which look "
        "for small strokes and curves wherever they are in the picture. That is why it reads "
        "digits best.",
        (
            "CNNs",
            "convolutional neural network",
            "convolutional neural networks",
            "convolutional network",
            "convolutional networks",
        ),
    ),
    Term(
        "dropout",
        "While training, a random share of the neurons is switched off for each picture. The "
        "network cannot lean on any one of them, so it learns clues that work on new digits too.",
    ),
    Term(
        "batch normalization",
        "A layer that evens out the numbers passing through it, batch by batch, so they stay in "
        "a steady range. It helps a deep network learn faster and more smoothly.",
        ("batch norm", "batchnorm", "batch normalisation"),
    ),
    Term(
        "score",
        "The number the last layer gives each digit, before softmax. The bigger a digit's score, "
        "the more the network leans toward that digit.",
        ("scores", "logit", "logits"),
    ),
    Term(
        "softmax",
        "Turns the network's ten scores into ten chances that add up to 100%, so the biggest "
        "score gets the biggest chance.",
    ),
    Term(
        "probability",
        "How likely something is, from 0% to 100%. The bars under your drawing show the chance "
        "the network gives each digit, and the ten chances add up to 100%.",
        ("probabilities", "chance", "chances"),
    ),
    Term(
        "confidence",
        "How sure the network is of its answer: the chance it gives its top digit. When that is "
        "below 80%, the app marks the answer as unsure.",
        ("confident", "% sure", "how sure", "unsure"),
    ),
    Term(
        "not-a-digit",
        "A drawing the network turns away, like a letter, a smiley or a scribble. Networks "
        'trained here are shown such drawings as "no digit in particular", so they can say '
        '"that doesn\'t look like a digit".',
        (
            "non-digit",
            "non-digits",
            "doesn't look like a digit",
            "don't look like digits",
        ),
    ),
    Term(
        "threshold",
        "The lowest confidence a drawing needs to count as a digit. Below it, the answer is "
        '"not a digit". It is set so that almost every real digit still passes.',
        ("thresholds",),
    ),
    Term(
        "calibration",
        'Making sure that "% sure" means what it says: of the answers given at 90% sure, about '
        "nine in ten should be right. The calibration error is the average gap between how sure "
        "it was and how often it was right.",
        ("calibrated", "calibration error", "expected calibration error"),
    ),
    Term(
        "training set",
        "The pictures a network learns from, each with its label. In each epoch it goes through "
        "every one of them once.",
        ("training sets", "training images", "training digits", "training data"),
    ),
    Term(
        "validation",
        "Digits kept aside from training and checked after each epoch. They show how well the "
        "network does on digits it has not learned from, while it is still training.",
        ("validation set", "validation images", "validation digits"),
    ),
    Term(
        "test set",
        "Digits kept apart that a network never learns from, used at the end to score it fairly. "
        "For MNIST these are 10,000 digits; when fine-tuning, a quarter of your drawings.",
        ("test sets", "test digits", "test images", "held-out"),
    ),
    Term(
        "batch",
        "A small group of pictures the network looks at together, like 128 digits at a time. "
        "After each batch it changes its weights a little.",
        ("batches",),
    ),
    Term(
        "batch size",
        "How many pictures go in one batch. Bigger batches go faster on a strong computer, but "
        "the weights change fewer times in each epoch.",
        ("batch sizes",),
    ),
    Term(
        "step",
        "One small move. In training, one small change to the weights after each batch. On "
        "the Learn page, the filter's window moving on by one pixel.",
        ("steps",),
    ),
    Term(
        "epoch",
        "One full pass through all the training pictures. With 50,000 training digits, one epoch "
        "means the network has seen each of them once.",
        ("epochs",),
    ),
    Term(
        "loss",
        "A number that says how wrong the network's chances were: low when it gave the right "
        "digit a big chance, high when it was sure of a wrong one. Training tries to make it "
        "smaller.",
        ("losses",),
    ),
    Term(
        "accuracy",
        "The share of digits the network reads right. Test accuracy counts it on the 10,000 test "
        "digits, which the network never learned from.",
        ("accuracies", "read right"),
    ),
    Term(
        "optimizer",
        "The method that decides how to change each weight after a batch, to make the loss "
        "smaller. This app uses one called Adam, which keeps its own pace for each weight.",
        ("optimizers", "Adam"),
    ),
    Term(
        "learning rate",
        "How big a change the network makes to its weights after each batch. Too big and it "
        "jumps past good answers; too small and it learns very slowly.",
        ("learning rates",),
    ),
    Term(
        "learning-rate schedule",
        "How the learning rate changes while training. Constant keeps it the same, cosine slowly "
        "lowers it to zero, and one-cycle first raises it, then lowers it.",
        ("learning-rate schedules", "lr schedule", "schedule", "schedules", "cosine", "one-cycle"),
    ),
    Term(
        "random seed",
        "A starting number for the random choices in training, like the first weights and the "
        "order of the pictures. The same seed and settings give nearly the same network again.",
        ("random seeds", "seed"),
    ),
    Term(
        "smoothed",
        "A smoothed curve shows the average of the last few batches. One lucky or unlucky batch "
        "then does not hide where training is going.",
        ("smoothing",),
    ),
    Term(
        "overfitting",
        "Learning the training pictures by heart instead of learning what digits look like. "
        "The network then does well on those pictures but worse on new ones. Its validation "
        "accuracy stops going up.",
        ("overfit", "overfits", "overfitted"),
    ),
    Term(
        "augmentation",
        "Making new training pictures by changing old ones a little. They are shifted, tilted, "
        "made bigger or smaller, or given thicker or thinner strokes. Then the network copes "
        "better with digits drawn in other ways.",
        ("augment", "augmented"),
    ),
    Term(
        "early stopping",
        "Ending the training when validation accuracy has not gone up for a few epochs in a row. "
        "The network then keeps the weights from its best epoch.",
        ("stop early", "stops early", "stopped early"),
    ),
    Term(
        "patience",
        "How many epochs early stopping waits for validation accuracy to go up. If it has not "
        "gone up by then, training ends.",
    ),
    Term(
        "fine-tuning",
        "Giving a trained network a little more training on new drawings, such as yours. "
        "Mixing in MNIST digits stops it from forgetting how everyone else writes.",
        ("fine-tune", "fine-tuned"),
    ),
    Term(
        "confusion matrix",
        "A table of answers: each row is the digit that was really drawn, and each column is "
        "what the network said. The squares off the diagonal are its mistakes, like a 4 read as "
        "a 9.",
        ("confusion matrices",),
    ),
    Term(
        "precision",
        "Of all the times the network answered a digit, say 7, how many really were 7s. Low "
        "precision means it says 7 too often.",
    ),
    Term(
        "recall",
        "Of all the real 7s, how many the network found and called 7. Low recall means it misses "
        "a lot of 7s.",
    ),
    Term(
        "saliency",
        "A picture of which pixels pushed the network toward a digit. Red marks the ink that "
        "raised that digit's score: the redder, the more.",
        ("saliency map", "saliency maps"),
    ),
    Term(
        "gradient × input",
        "How the app finds the saliency: for each pixel, how much a little more ink there would "
        "raise the digit's score, times the ink already there. Pixels with no ink get zero.",
        ("gradient x input",),
    ),
    Term(
        "feature visualization",
        "A picture made up to light up one neuron or filter as much as it can. It shows what "
        "pattern that part of the network is looking for.",
        ("feature visualisation", "feature visualizations"),
    ),
    Term(
        "adversarial example",
        "A picture changed on purpose, often so little that you can hardly see it, so that the "
        "network reads it wrong. It shows that a network does not see digits the way people do.",
        ("adversarial examples",),
    ),
)

GLOSSARY: dict[str, Term] = {term.name: term for term in _TERMS}

_SEPARATOR = r"[\s\-‐‑]+"  # on screen, "learning-rate" and "learning rate" are one word
_LETTER = r"[^\W_]"  # a letter or digit: Keras's layer names show as "dense_1", a dense layer


def _key(form: str) -> str:
    """`form` as the lookup sees it: lower case, one space for any spaces and hyphens, ' for ’."""
    return re.sub(_SEPARATOR, " ", form.strip().lower()).replace("’", "'")


def _pattern(form: str) -> str:
    """A regex for `form` as a whole word or words, however its spaces and apostrophes are set."""
    words = (
        "['’]".join(re.escape(part) for part in word.split("'")) for word in _key(form).split()
    )
    body = _SEPARATOR.join(words)
    # The scan starts it at a word's start; its end must be one too ("layer" is not "layered").
    end = rf"(?!{_LETTER})" if form[-1].isalnum() else ""
    return body + end


_NAMES = {_key(form): term.name for term in _TERMS for form in (term.name, *term.aliases)}
_WORD = re.compile(rf"{_LETTER}+|%")  # where a form can start: a word, or the "%" of "% sure"


def _forms_by_first_word() -> dict[str, list[tuple[re.Pattern[str], str]]]:
    """Each form's regex and term name under its first word, longest form first, so that at
    each word the scan tries "learning-rate schedule" before "learning rate" and no other forms
    (one regex of every form, tried at every character, took seconds on the pages' text)."""
    forms: dict[str, list[tuple[re.Pattern[str], str]]] = {}
    for form, name in sorted(_NAMES.items(), key=lambda item: len(item[0]), reverse=True):
        first = _WORD.findall(form)[0]
        forms.setdefault(first, []).append((re.compile(_pattern(form), re.IGNORECASE), name))
    return forms


_BY_FIRST_WORD = _forms_by_first_word()


def _name_of(form: str) -> str:
    """The glossary name of `form` (a name or an alias, any case); KeyError naming the terms."""
    try:
        return _NAMES[_key(form)]
    except KeyError:
        known = ", ".join(GLOSSARY)
        raise KeyError(f"{form!r} is not in the glossary; its terms are: {known}") from None


def meaning(name: str) -> str:
    """What `name` (a term's name or one of its aliases, any case) means, in plain words."""
    return GLOSSARY[_name_of(name)].meaning


def terms_in(text: str) -> list[str]:
    """The names of the terms `text` mentions, whole words in any case, first mention first.

    The longest form wins where forms overlap: "feature maps" is a feature map and no more.
    """
    found: dict[str, None] = {}
    resume = 0  # where the last form found ends: forms do not overlap
    for word in _WORD.finditer(text):
        if word.start() < resume:
            continue
        for form, name in _BY_FIRST_WORD.get(word.group().lower(), ()):
            if match := form.match(text, word.start()):
                found.setdefault(name)
                resume = match.end()
                break
    return list(found)


def help_for(*names: str) -> str:
    """Markdown for a tooltip: each named term in bold with its meaning, a paragraph each."""
    chosen = dict.fromkeys(_name_of(name) for name in names)
    return "\n\n".join(
        f"**{name[0].upper()}{name[1:]}**: {GLOSSARY[name].meaning}" for name in chosen
    )
