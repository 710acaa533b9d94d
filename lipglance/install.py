"""What to run when a package glance needs is missing: the pip command (a checkout can also run `make setup`)."""

from __future__ import annotations

TORCH_CPU = "pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"
GLANCE = 'pip install "lipglance[demo]"'
TRAIN = 'pip install "lipglance[train]"'  # training only: tensorboard logs, matplotlib figures
# import name -> the pip command that brings it
COMMANDS = {
    "torch": TORCH_CPU,
    "gradio": GLANCE,
    "gradio_client": GLANCE,
    "tensorboard": TRAIN,
    "matplotlib": TRAIN,
    "dlib": "pip install dlib-bin",
    "face_recognition_models": "pip install face-recognition-models",
    "cv2": "pip install opencv-python-headless",
    "skimage": "pip install scikit-image",
    "PIL": "pip install pillow",
    "av": "pip install av",
}
# what the package is for, where it is not needed by everyone (the line says so)
PURPOSE = {"tensorboard": "training", "matplotlib": "training and its figures"}


def hint(module: str) -> str:
    """One line: which Python package is missing and the command that installs it."""
    top = module.split(".")[0]
    then = f" (the CPU build), then `{GLANCE}`" if top == "torch" else ""
    why = f" (only {PURPOSE[top]} needs it)" if top in PURPOSE else ""
    return (f"the Python package '{top}' is missing{why}: run `{COMMANDS.get(top, GLANCE)}`{then} "
            "(in a checkout: `make setup`)")
