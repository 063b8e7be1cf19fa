"""Synthetic issue texts for the 13 categories of the taxonomy (``shared/taxonomy.md``).

Written for this project: titles and bodies assembled from templates with the ingredients of
real AI-repository issues (tracebacks, shell sessions, config snippets, code blocks, links), in
the varied and often terse style of real reporters, with a small share not in English.
"""

from __future__ import annotations

import random

# Shares of the synthetic population: the study's two largest categories first
# (runtime error 23.18 %, unclear instructions 19.53 %), the rest spread plausibly.
CATEGORY_WEIGHTS = {
    "runtime_error": 23.2, "unclear_instructions": 19.5, "environment": 9.5, "reproducibility": 9.0,
    "method_question": 7.5, "model_request": 6.5, "data": 7.0, "code_bug": 4.5, "feature_request": 4.0,
    "performance": 3.0, "documentation": 2.3, "code_release": 2.5, "other": 1.5,
}

MODELS = ["ResNet-50", "ViT-B/16", "BERT-base", "the transformer", "the GAN", "the GCN", "the U-Net", "YOLOv5",
          "the diffusion model", "the VAE", "the student network", "the teacher model", "Swin-T", "the encoder",
          "the policy network", "RoBERTa-large", "the NeRF model", "the detector", "the backbone", "CLIP"]
DATASETS = ["ImageNet", "COCO", "CIFAR-10", "CIFAR-100", "Cityscapes", "KITTI", "ScanNet", "SQuAD", "GLUE",
            "Human3.6M", "nuScenes", "ShapeNet", "CelebA", "VOC2012", "ADE20K", "LibriSpeech", "MNIST",
            "Market-1501", "my own dataset", "a custom dataset", "Waymo", "DAVIS", "the LLFF scenes"]
SCRIPTS = ["train.py", "test.py", "demo.py", "eval.py", "main.py", "inference.py", "run.sh", "train_net.py",
           "tools/train.py", "scripts/evaluate.py", "preprocess.py", "finetune.py"]
FRAMEWORKS = ["PyTorch", "TensorFlow", "JAX", "MXNet", "PaddlePaddle", "Keras"]
GPUS = ["RTX 3090", "V100", "A100", "RTX 2080 Ti", "GTX 1080 Ti", "T4", "TITAN Xp", "RTX 4090"]
METRICS = ["mAP", "top-1 accuracy", "mIoU", "F1", "BLEU", "FID", "PSNR", "AP50", "EM", "NDCG@10", "AUC"]
MODULES = ["models/backbone.py", "models/head.py", "utils/loss.py", "data/dataset.py", "lib/layers.py",
           "engine/trainer.py", "modules/attention.py", "datasets/loader.py", "core/evaluate.py"]
PACKAGES = ["mmcv-full", "torch_geometric", "apex", "detectron2", "pytorch3d", "spconv", "tensorflow-gpu",
            "dgl", "torch-scatter", "open3d", "cupy", "horovod", "faiss-gpu", "pycocotools"]
ERRORS = [
    ("RuntimeError", "CUDA out of memory. Tried to allocate {mb} MiB (GPU 0; {gb} GiB total capacity; "
                     "{used} GiB already allocated)"),
    ("RuntimeError", "size mismatch for fc.weight: copying a param with shape torch.Size([{a}, 2048]) from "
                     "checkpoint, the shape in current model is torch.Size([{b}, 2048])"),
    ("RuntimeError", "Expected all tensors to be on the same device, but found at least two devices, cuda:0 "
                     "and cpu!"),
    ("KeyError", "'{key}'"),
    ("AttributeError", "'NoneType' object has no attribute 'shape'"),
    ("ValueError", "operands could not be broadcast together with shapes ({a},3) ({b},3)"),
    ("TypeError", "forward() missing 1 required positional argument: '{key}'"),
    ("IndexError", "index {a} is out of bounds for dimension 0 with size {b}"),
    ("AssertionError", "Torch not compiled with CUDA enabled"),
    ("FileNotFoundError", "[Errno 2] No such file or directory: './data/{key}/train.json'"),
    ("RuntimeError", "CUDA error: device-side assert triggered"),
    ("RuntimeError", "stack expects each tensor to be equal size, but got [3, {a}, {a}] at entry 0 and "
                     "[3, {b}, {b}] at entry 3"),
    ("ValueError", "Input contains NaN, infinity or a value too large for dtype('float32')."),
    ("tensorflow.python.framework.errors_impl.InvalidArgumentError", "Incompatible shapes: [{a},10] vs. [{b},10]"),
]
ENV_ERRORS = [
    "ModuleNotFoundError: No module named '{mod}'",
    "ImportError: cannot import name '{sym}' from 'torch._six'",
    "error: command 'gcc' failed with exit status 1",
    "ERROR: Could not find a version that satisfies the requirement {pkg}=={ver}",
    "nvcc fatal : Unsupported gpu architecture 'compute_86'",
    "OSError: libcudart.so.10.1: cannot open shared object file: No such file or directory",
    "ImportError: /lib/x86_64-linux-gnu/libstdc++.so.6: version `GLIBCXX_3.4.29' not found",
    "ERROR: Failed building wheel for {pkg}",
    "UnsatisfiableError: The following specifications were found to be incompatible with each other",
]
GREETINGS = ["", "", "", "Hi, ", "Hello, ", "Hi authors, ", "Thanks for your great work! ", "Dear author, ",
             "Hi @{owner}, ", "Great work! "]
CLOSINGS = ["", "", "", "\n\nThanks!", "\n\nThanks in advance.", "\n\nAny help would be appreciated.",
            "\n\nThank you very much!", "\n\nLooking forward to your reply.", "\n\nthx"]


def _fill(rng: random.Random, text: str, **extra: str) -> str:
    slots = {
        "model": rng.choice(MODELS), "dataset": rng.choice(DATASETS), "script": rng.choice(SCRIPTS),
        "framework": rng.choice(FRAMEWORKS), "gpu": rng.choice(GPUS), "metric": rng.choice(METRICS),
        "module": rng.choice(MODULES), "pkg": rng.choice(PACKAGES), "n": str(rng.choice([1, 2, 4, 8])),
        "epochs": str(rng.choice([12, 50, 100, 200, 300])), "bs": str(rng.choice([2, 4, 8, 16, 32, 64, 256])),
        "lr": rng.choice(["1e-4", "3e-4", "0.01", "0.1", "5e-5", "2e-4"]),
        "table": str(rng.randint(1, 6)), "paper_value": f"{rng.uniform(30, 95):.1f}",
        "ver": rng.choice(["1.7.1", "1.10.0", "2.0.1", "0.4.1", "1.13.1", "2.4.0"]),
        "py": rng.choice(["3.6", "3.7", "3.8", "3.9", "3.10"]), "cuda": rng.choice(["10.1", "10.2", "11.1",
                                                                                      "11.3", "11.7", "12.1"]),
        "os": rng.choice(["Ubuntu 18.04", "Ubuntu 20.04", "Windows 10", "macOS", "CentOS 7", "WSL2"]),
        "line": str(rng.randint(12, 480)), "var": rng.choice(["alpha", "tau", "lambda_cls", "beta", "margin",
                                                            "num_queries", "temperature", "gamma", "k"]),
        **extra,
    }
    slots["got"] = f"{float(slots['paper_value']) - rng.uniform(0.8, 12):.1f}"
    return text.format(**slots)


_FRAME_LINES = ["loss = criterion(out, target)", "x = self.backbone(x)", "model.load_state_dict(ckpt)",
                "img = cv2.imread(path)", "return self.layers(x)", "outputs = model(**batch)"]


def traceback(rng: random.Random, error: str | None = None) -> str:
    frames = []
    for _ in range(rng.randint(2, 6)):
        function = rng.choice(["<module>", "main", "forward", "train_one_epoch", "__getitem__", "build"])
        frames.append(f'  File "{rng.choice(SCRIPTS + MODULES)}", line {rng.randint(10, 600)}, in {function}\n'
                      f"    {rng.choice(_FRAME_LINES)}")
    if error is None:
        kind, message = rng.choice(ERRORS)
        error = f"{kind}: " + message.format(
            mb=rng.choice([20, 64, 256, 1024]), gb=rng.choice([10.76, 23.69, 15.78, 39.59]),
            used=f"{rng.uniform(5, 20):.2f}", a=rng.randint(1, 1000), b=rng.randint(1, 1000),
            key=rng.choice(["image_id", "state_dict", "model", "labels", "mask", "coco", "depth"]))
    return "Traceback (most recent call last):\n" + "\n".join(frames) + f"\n{error}"


def code_block(text: str, lang: str = "") -> str:
    return f"```{lang}\n{text}\n```"


def _env_block(rng: random.Random) -> str:
    return _fill(rng, "- OS: {os}\n- Python: {py}\n- {framework}: {ver}\n- CUDA: {cuda}\n- GPU: {gpu}")


def _config_snippet(rng: random.Random) -> str:
    return _fill(rng, "model:\n  backbone: {model}\n  pretrained: true\ntrain:\n  batch_size: {bs}\n"
                      "  lr: {lr}\n  epochs: {epochs}\ndata:\n  name: {dataset}")


TITLES: dict[str, list[str]] = {
    "runtime_error": [
        "Error when running {script}", "RuntimeError: CUDA out of memory", "KeyError when training on {dataset}",
        "size mismatch when loading the pretrained model", "error in {module}", "Training crashes after a few "
        "iterations", "AttributeError: 'NoneType' object has no attribute 'shape'", "demo.py fails",
        "CUDA error: device-side assert triggered", "Got an error during evaluation", "IndexError in dataloader",
        "Bug: crash when batch size is {bs}", "Error with multi-GPU training", "test.py error", "{script} error",
        "RuntimeError: Expected all tensors to be on the same device", "Assertion error in {module}",
        "ValueError when running inference on {dataset}", "shape mismatch", "Program exits with an error",
    ],
    "unclear_instructions": [
        "How to train on {dataset}?", "How to test on my own images?", "How to run the demo?",
        "Which config should I use for {dataset}?", "How to use {script} with a custom dataset",
        "Question about the usage", "How to get the visualization results?", "How to run inference only?",
        "What arguments to use for evaluation?", "Training on my own data", "How to prepare the input for the "
        "demo", "How do I resume training?", "Steps to reproduce the training?", "how to use it",
        "How to extract features with the pretrained {model}?", "Can I run this on a single GPU?",
    ],
    "environment": [
        "Installation problem", "ModuleNotFoundError: No module named {pkg}", "Cannot install {pkg}",
        "Which {framework} version is required?", "Failed to build the CUDA extension", "setup.py build fails",
        "Does it work on Windows?", "conda environment cannot be created", "ImportError after installation",
        "requirements.txt conflicts", "Compile error with CUDA {cuda}", "Docker image does not build",
        "pip install fails on {os}", "Which version of {pkg} should I install?",
    ],
    "reproducibility": [
        "Cannot reproduce the results in Table {table}", "Lower {metric} than reported in the paper",
        "The results are different from the paper", "Loss does not decrease", "Training does not converge",
        "Got {got} {metric} instead of {paper_value}", "Reproduction issue on {dataset}",
        "Performance gap with the pretrained model", "loss is nan after some epochs",
        "Evaluation result is much lower", "Results vary a lot between runs",
    ],
    "method_question": [
        "Question about the loss function", "Why use {var} in the paper?", "Question about Eq. {table}",
        "Difference between the paper and the code", "What does {var} mean?", "A question about the attention "
        "module", "Why is the {model} frozen?", "About the implementation of the sampling strategy",
        "Question on the theoretical analysis", "Question regarding the ablation study",
        "Is the normalization applied before or after the projection?",
    ],
    "model_request": [
        "Pretrained model", "Could you release the pretrained weights?", "Pretrained model link is broken",
        "Where can I download the checkpoint for {dataset}?", "Request for the {model} weights",
        "The Google Drive link of the model is invalid", "Pretrained models for {dataset}",
        "Will you share the trained models?", "checkpoint not found", "model weights",
    ],
    "data": [
        "Dataset download link is broken", "How to prepare the {dataset} dataset?", "Where to get the annotation "
        "files?", "Data preprocessing script", "Format of the training data", "Train/val split of {dataset}",
        "Missing file in the dataset folder", "Could you share the processed data?", "About the data augmentation",
        "The {dataset} annotations are different", "Dataset structure",
    ],
    "code_bug": [
        "Possible bug in {module}", "Wrong computation of {metric}", "Bug in the evaluation code",
        "Typo in {module} line {line}", "The learning rate schedule is not applied", "Possible mistake in the "
        "loss", "Incorrect default value of {var}", "Is this a bug? {module}", "Data leakage in the evaluation",
        "The seed is never set",
    ],
    "feature_request": [
        "Support for {framework}?", "Any plan to support multi-GPU training?", "Feature request: ONNX export",
        "Will you release a {framework} version?", "Support {dataset}", "Add a Colab notebook",
        "Please add support for newer {pkg}", "Request: support for CPU inference", "Hugging Face integration?",
        "Add distributed training",
    ],
    "performance": [
        "Training is very slow", "How long does training take?", "GPU memory usage", "Inference speed",
        "How much GPU memory is needed?", "Multi-GPU training is not faster", "Dataloader is the bottleneck",
        "How many GPUs did you use?", "Training time on {dataset}", "Reduce memory usage?",
    ],
    "documentation": [
        "README is outdated", "Broken link in README", "Documentation for the config options",
        "Typo in README", "License?", "How to cite this work?", "Missing instructions in the docs",
        "The paper link in the README is wrong", "Please add a requirements section",
    ],
    "code_release": [
        "When will the code be released?", "Training code", "Is the full code available?",
        "Missing file {module}", "Code release", "When will you release the training script?",
        "{script} is missing", "The preprocessing code is not released", "Release date of the code?",
    ],
    "other": [
        "Thanks for sharing", "Great work!", "Question", "Hello", "Discussion about related work",
        "Contact", "Is this project still maintained?", "[Spam] Cheap offers", "Congratulations", "?",
    ],
}


def _body(rng: random.Random, category: str, owner: str) -> str:
    greet = _fill(rng, rng.choice(GREETINGS), owner=owner)
    close = rng.choice(CLOSINGS)
    f = lambda text: _fill(rng, text)  # noqa: E731
    if category == "runtime_error":
        lead = f(rng.choice([
            "When I run `python {script}` I get the following error:", "I followed the README and ran {script} on "
            "{dataset}, but it crashed:", "I got this error while training with batch size {bs} on {n} GPUs:",
            "The demo fails with", "Error log:", "Running the evaluation script gives:",
        ]))
        parts = [lead, code_block(traceback(rng))]
        if rng.random() < 0.4:
            parts.append("Environment:\n" + _env_block(rng))
        if rng.random() < 0.25:
            parts.append("How can I fix it?")
    elif category == "unclear_instructions":
        parts = [f(rng.choice([
            "I want to train the model on {dataset}. Which script and which config should I use?",
            "How can I test the model on my own images? The README only describes {dataset}.",
            "I am confused about how to run {script}. What are the arguments for evaluation?",
            "Could you explain the steps to get the results with the pretrained {model}?",
            "Where should I put the downloaded weights, and how do I run the demo afterwards?",
            "I have my own data in a folder of images. How do I prepare it and run inference?",
            "How do I visualize the predictions? I could not find an option for it.",
        ]))]
        if rng.random() < 0.3:
            parts.append("I tried:\n" + code_block(f("python {script} --config configs/{dataset}.yaml --gpus {n}"),
                                                   "bash"))
    elif category == "environment":
        parts = [f(rng.choice([
            "I cannot install the requirements on {os} with Python {py} and CUDA {cuda}.",
            "Building the extension fails:", "After `pip install -r requirements.txt` I get:",
            "Which versions of {framework} and CUDA did you use? I have {framework} {ver} and get:",
            "I am trying to set up the environment with conda:",
        ]))]
        error = _fill(rng, rng.choice(ENV_ERRORS), mod=rng.choice(["mmcv._ext", "apex", "torch_scatter",
                                                                    "spconv", "pointnet2_ops", "cv2"]),
                      sym=rng.choice(["container_abcs", "string_classes", "int_classes"]))
        parts.append(code_block(error if rng.random() < 0.5 else traceback(rng, error)))
        if rng.random() < 0.5:
            parts.append(_env_block(rng))
    elif category == "reproducibility":
        parts = [f(rng.choice([
            "I trained {model} on {dataset} with the default config for {epochs} epochs but only got {got} "
            "{metric}, while the paper reports {paper_value}.",
            "I evaluated the released checkpoint and got {got} {metric} instead of {paper_value} in Table {table}.",
            "The training loss stays around 2.3 and does not decrease after {epochs} epochs.",
            "With {n} GPUs and batch size {bs}, the {metric} is much lower than reported.",
            "The loss becomes nan after a few thousand iterations (lr {lr}).",
        ]))]
        if rng.random() < 0.4:
            parts.append("My config:\n" + code_block(_config_snippet(rng), "yaml"))
        if rng.random() < 0.3:
            parts.append("Did I miss something? Are there any tricks not mentioned in the paper?")
    elif category == "method_question":
        parts = [f(rng.choice([
            "In the paper, {var} is set differently from the value in {module}. Which one is correct?",
            "Could you explain why the loss in Eq. {table} uses a stop-gradient? I could not understand the "
            "intuition.",
            "In {module} line {line}, the features are normalized before the projection, but the paper says "
            "after. Is this intended?",
            "What is the role of {var}? How sensitive is the method to it?",
            "Why did you choose {model} as the backbone instead of a lighter one?",
        ]))]
        if rng.random() < 0.3:
            parts.append(code_block(f("x = F.normalize(x, dim=-1)\nlogits = x @ self.proto.t() / {var}"),
                                    "python"))
    elif category == "model_request":
        parts = [f(rng.choice([
            "Could you please release the pretrained model on {dataset}?",
            "The download link for the checkpoint in the README is broken (404).",
            "Is there a pretrained {model} for {dataset}? I would like to use it for fine-tuning.",
            "The Google Drive link of the weights says the file is not available. Could you re-upload it?",
            "Will you share the trained weights? I don't have enough GPUs to train from scratch.",
        ]))]
    elif category == "data":
        parts = [f(rng.choice([
            "The link to download the processed {dataset} data does not work anymore.",
            "How should I organize the {dataset} folder? The annotation files are not mentioned in the README.",
            "Could you share the train/val/test split you used for {dataset}?",
            "Which preprocessing did you apply to {dataset}? My results differ with the raw data.",
            "What is the format of the annotation json? I want to convert my own data.",
        ]))]
        if rng.random() < 0.3:
            parts.append(code_block("data/\n  images/\n  annotations/\n    train.json\n    val.json"))
    elif category == "code_bug":
        parts = [f(rng.choice([
            "In {module} line {line}, the mask is inverted, so padded tokens are attended to.",
            "The {metric} computation divides by the number of batches instead of the number of samples.",
            "The learning rate scheduler is created but `scheduler.step()` is never called.",
            "The default value of {var} in the argument parser does not match the config.",
            "It seems that the validation set is also used for early stopping and for reporting.",
        ]))]
        if rng.random() < 0.6:
            parts.append(code_block(f("for i, batch in enumerate(loader):\n    loss = model(batch)\n"
                                      "    loss.backward()\n    # optimizer.zero_grad() is missing here"), "python"))
    elif category == "feature_request":
        parts = [f(rng.choice([
            "It would be great to have a {framework} implementation.",
            "Do you plan to support exporting the model to ONNX / TensorRT?",
            "Could you add support for {dataset}?", "Please consider adding a Colab demo.",
            "Is it possible to add CPU-only inference? Not everyone has a GPU.",
        ]))]
    elif category == "performance":
        parts = [f(rng.choice([
            "Training one epoch on {dataset} takes about 6 hours on a {gpu}. Is this normal?",
            "How much GPU memory is needed to train with batch size {bs}?",
            "Inference takes 2 s per image on a {gpu}, much slower than the FPS in the paper.",
            "Using {n} GPUs is not faster than using one. Is the data loading the bottleneck?",
            "How long did the training take for the results in the paper, and on which hardware?",
        ]))]
    elif category == "documentation":
        parts = [f(rng.choice([
            "The README still refers to `{script}` but the script was renamed.",
            "The link to the project page in the README returns 404.",
            "Could you document the options in the config files?",
            "What is the license of this code? I could not find a LICENSE file.",
            "Please add the BibTeX entry so we can cite the paper.",
        ]))]
    elif category == "code_release":
        parts = [f(rng.choice([
            "Thanks for the great work. When do you plan to release the training code?",
            "The README mentions {module} but the file is not in the repository.",
            "Is the code for the experiments on {dataset} going to be released?",
            "Only the inference code is available. Will the full code be released?",
        ]))]
    else:
        parts = [rng.choice([
            "Thanks for sharing this amazing work!", "Could you contact me by email? I have some questions about "
            "collaboration.", "Nice paper. Is there a related work on the same topic you would recommend?",
            "", "Is this repository still maintained?", "Visit our website for cheap offers!!!",
        ])]
    return (greet + "\n\n".join(p for p in parts if p) + close).strip()


# A few issues are not in English (the study found non-English titles; AI repositories get many
# Chinese issues): (category, title, body).
NON_ENGLISH = [
    ("runtime_error", "运行{script}时报错", "你好，运行 {script} 的时候出现了下面的错误，请问怎么解决？\n\n{tb}"),
    ("runtime_error", "训练时显存不足", "在 {gpu} 上训练时报错：\n\n{tb}\n\n请问需要多大的显存？"),
    ("unclear_instructions", "如何在自己的数据集上训练？", "作者你好，请问如何在自己的数据集上训练和测试？需要修改哪些配置文件？"),
    ("reproducibility", "复现结果比论文低", "按照默认配置训练了 {epochs} 个 epoch，{metric} 只有 {got}，论文中是 {paper_value}。"),
    ("model_request", "预训练模型下载链接失效", "百度网盘的链接失效了，可以重新分享一下预训练模型吗？谢谢！"),
    ("data", "数据集的下载地址", "请问 {dataset} 处理好的数据在哪里下载？"),
    ("environment", "安装依赖失败", "在 {os} 上安装 {pkg} 失败：\n\n```\nerror: command 'gcc' failed with exit status 1\n```"),
    ("code_release", "请问什么时候开源训练代码？", "感谢分享！请问训练代码什么时候开源？"),
    ("runtime_error", "{script}を実行するとエラーが出ます", "{script} を実行すると以下のエラーが出ます。\n\n{tb}"),
    ("unclear_instructions", "자신의 데이터로 학습하는 방법", "안녕하세요, 제 데이터셋으로 학습하려면 어떻게 해야 하나요?"),
    ("reproducibility", "Не удается воспроизвести результаты", "Я обучил модель на {dataset}, но {metric} = {got}, а в статье {paper_value}."),
    ("unclear_instructions", "¿Cómo entrenar con mi propio dataset?", "Hola, ¿cómo puedo entrenar el modelo con mis propias imágenes?"),
    ("model_request", "Modelo pré-treinado", "Olá, vocês podem disponibilizar o modelo pré-treinado para {dataset}?"),
]


def issue_text(rng: random.Random, category: str, owner: str, english: bool = True) -> tuple[str, str | None]:
    """A title and body (``None`` for an empty body, as GitHub returns it) of the given category."""
    if not english:
        choices = [t for t in NON_ENGLISH if t[0] == category] or [t for t in NON_ENGLISH if t[0] == "runtime_error"]
        _, title, body = rng.choice(choices)
        return _fill(rng, title), _fill(rng, body, tb=code_block(traceback(rng)))
    title = _fill(rng, rng.choice(TITLES[category]))
    if rng.random() < 0.15:
        title = title.lower()
    body = _body(rng, category, owner)
    if not body or (category == "other" and rng.random() < 0.3):
        return title, None
    return title, body


PR_TITLES = ["Fix typo in README", "Update requirements.txt", "Fix bug in {module}", "Add support for {dataset}",
             "Fix import error with newer {pkg}", "Add Colab demo", "Update {script}", "Fix broken link",
             "Add Dockerfile", "Support {framework} {ver}", "Fix evaluation on {dataset}", "Refactor data loading"]


def pull_request_text(rng: random.Random) -> tuple[str, str]:
    title = _fill(rng, rng.choice(PR_TITLES))
    return title, _fill(rng, rng.choice(["This PR fixes {module}.", "Small fix, see title.",
                                         "Tested with {framework} {ver} on {gpu}.", "Closes #{line}."]))
