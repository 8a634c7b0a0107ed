"""weights="imagenet" (keras.applications' own file, origin, hash and cache), preprocess_input and
decode_predictions, with no network: a server on 127.0.0.1 stands in for keras.applications' storage, and a
port with nothing behind it for a machine that is offline."""

import hashlib
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from kerazoo import models
from kerazoo.models import imagenet

CLASS_INDEX = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}


class FileServer:
    """Serves `files` (name -> bytes) on 127.0.0.1; `cut_after[name] = n` sends n bytes of a longer answer."""

    def __init__(self):
        self.files, self.cut_after, self.served = {}, {}, []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                name = self.path.rsplit("/", 1)[-1]
                server.served.append(name)
                if name not in server.files:
                    self.send_error(404)
                    return
                content = server.files[name]
                self.send_response(200)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content[: server.cut_after.pop(name, len(content))])
                self.close_connection = True

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/"
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self):
        self._server.shutdown()
        self._server.server_close()


def closed_port_url() -> str:
    """A URL nothing answers: the machine is offline as far as the download is concerned."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.fixture
def keras_cache(tmp_path, monkeypatch):
    """An empty Keras cache of this test's own: what KERAS_HOME sets when Keras is imported."""
    from keras.src.backend import config

    monkeypatch.setattr(config, "_KERAS_DIR", str(tmp_path / "keras-home"))
    (tmp_path / "keras-home").mkdir()
    return tmp_path / "keras-home" / "models"


@pytest.fixture
def storage(monkeypatch):
    """keras.applications' storage, played by a local server; the class index it serves is a test one, so
    its expected hash is the test file's (keras.applications' real hash belongs to the real file)."""
    server = FileServer()
    content = json.dumps(CLASS_INDEX).encode()
    server.files["imagenet_class_index.json"] = content
    monkeypatch.setattr(imagenet, "CLASS_INDEX_ORIGIN", server.url + "imagenet_class_index.json")
    monkeypatch.setattr(imagenet, "CLASS_INDEX_HASH", hashlib.md5(content).hexdigest())
    monkeypatch.setattr(imagenet, "RESNET50_ORIGIN", server.url)
    imagenet._class_index.cache_clear()
    yield server
    server.close()


def test_the_files_are_keras_applications_own():
    from keras.src.applications import imagenet_utils, resnet

    assert imagenet.RESNET50_ORIGIN == resnet.BASE_WEIGHTS_PATH
    assert (imagenet.RESNET50_FILES[True][1], imagenet.RESNET50_FILES[False][1]) == resnet.WEIGHTS_HASHES["resnet50"]
    assert imagenet.CLASS_INDEX_ORIGIN == imagenet_utils.CLASS_INDEX_PATH


def test_offline_with_a_cold_cache_one_error_names_the_url_and_the_cache_path(keras_cache, monkeypatch):
    monkeypatch.setattr(imagenet, "RESNET50_ORIGIN", closed_port_url())
    name = "resnet50_weights_tf_dim_ordering_tf_kernels.h5"
    with pytest.raises(FileNotFoundError) as caught:
        models.resnet50(weights="imagenet")
    message = str(caught.value)
    assert imagenet.RESNET50_ORIGIN + name in message
    assert str(keras_cache / name) in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__  # one error, no chain
    assert list(keras_cache.iterdir()) == []


def test_a_download_cut_short_leaves_nothing_and_the_next_call_completes_it(keras_cache, storage):
    storage.cut_after["imagenet_class_index.json"] = 100
    scores = np.eye(1000, dtype="float32")[[3]]
    with pytest.raises(FileNotFoundError, match="imagenet_class_index.json is not in the Keras cache"):
        models.decode_predictions(scores)
    assert list(keras_cache.iterdir()) == []
    assert models.decode_predictions(scores, top=1) == [[("n00000003", "class_3", 1.0)]]
    assert [path.name for path in keras_cache.iterdir()] == ["imagenet_class_index.json"]


def test_a_cached_file_is_used_without_the_network_and_a_damaged_one_replaced(keras_cache, storage):
    scores = np.eye(1000, dtype="float32")[[7]]
    models.decode_predictions(scores)
    storage.served.clear()
    models.decode_predictions(scores)
    assert storage.served == []
    (keras_cache / "imagenet_class_index.json").write_text("{half")  # e.g. left by an interrupted keras download
    imagenet._class_index.cache_clear()
    assert models.decode_predictions(scores, top=1)[0][0][:2] == ("n00000007", "class_7")
    assert storage.served == ["imagenet_class_index.json"]


def test_decode_predictions_gives_the_top_classes_best_first(keras_cache, storage):
    scores = np.zeros((2, 1000), "float32")
    scores[0, [5, 9, 1]] = [0.2, 0.5, 0.3]
    scores[1, 999] = 1.0
    decoded = models.decode_predictions(scores, top=3)
    assert [wnid for wnid, _, _ in decoded[0]] == ["n00000009", "n00000001", "n00000005"]
    assert decoded[1][0] == ("n00000999", "class_999", 1.0)


@pytest.mark.parametrize(
    ("scores", "top", "match"), [(np.zeros((2, 10)), 5, "probabilities"), (np.zeros((1, 1000)), 0, "top")]
)
def test_decode_predictions_refuses_what_is_not_imagenet_scores(scores, top, match):
    with pytest.raises(ValueError, match=f"`{match}`"):
        models.decode_predictions(scores, top=top)


@pytest.mark.parametrize(
    ("arguments", "match"),
    [
        ({"classes": 10}, "`classes`=1000"),
        ({"input_shape": (224, 224, 1)}, "3 channels"),
        ({"variant": "v1.5"}, "variant='v1.5'"),
    ],
)
def test_imagenet_weights_refuse_keras_applications_other_arguments(keras_cache, arguments, match):
    with pytest.raises(ValueError, match=match):
        models.resnet50(weights="imagenet", **arguments)
    assert not keras_cache.exists() or list(keras_cache.iterdir()) == []


def test_a_resnet_keras_applications_has_no_imagenet_weights_for_points_to_timm():
    with pytest.raises(ValueError, match="hf:timm/resnet18.a1_in1k"):
        models.resnet18(weights="imagenet")


def test_a_model_without_pretrained_weights_says_so():
    with pytest.raises(ValueError, match="lenet5 has no pre-trained weights"):
        models.lenet5(weights="imagenet")


@pytest.mark.parametrize("name", ["imagenet", "resnet50"])
def test_preprocess_input_is_keras_applications_resnet50s(name):
    from keras.applications import resnet50

    images = np.random.default_rng(0).uniform(0, 255, (2, 8, 8, 3)).astype("float32")
    expected = resnet50.preprocess_input(images.copy())
    np.testing.assert_allclose(models.preprocess_input(name, images), expected, atol=1e-4)
    np.testing.assert_allclose(models.preprocess_input(name, images[0]), expected[0], atol=1e-4)


def test_preprocess_input_takes_tensors_and_leaves_numpy_input_alone():
    import keras

    images = np.full((1, 4, 4, 3), 200, "uint8")
    out = models.preprocess_input("imagenet", images)
    tensor = models.preprocess_input("imagenet", keras.ops.convert_to_tensor(images))
    assert images[0, 0, 0, 0] == 200 and out.dtype == np.float32
    np.testing.assert_allclose(keras.ops.convert_to_numpy(tensor), out, atol=1e-5)


def test_preprocess_input_refuses_unknown_weights_and_other_shapes():
    with pytest.raises(ValueError, match="`name` must be the weights"):
        models.preprocess_input("resnet18", np.zeros((1, 4, 4, 3)))
    with pytest.raises(ValueError, match=r"`images` must be .* Received: images.shape=\(4, 4\)"):
        models.preprocess_input("imagenet", np.zeros((4, 4)))


def write_keras_applications_file(path, include_top: bool, seed: int):
    """A keras.applications ResNet50 weights file as Keras publishes it (the legacy HDF5 layout), random."""
    import h5py
    import keras
    from keras.src.legacy.saving import legacy_h5_format

    reference = keras.applications.ResNet50(weights=None, include_top=include_top, input_shape=(64, 64, 3))
    rng = np.random.default_rng(seed)
    for variable in reference.weights:  # moving variances stay positive
        low = 0.5 if "variance" in variable.path else -0.1
        variable.assign(rng.uniform(low, low + 0.6 if "variance" in variable.path else 0.1, variable.shape))
    with h5py.File(path, "w") as file:
        legacy_h5_format.save_weights_to_hdf5_group(file, reference)
    return reference


@pytest.mark.slow
@pytest.mark.parametrize("include_top", [True, False])
def test_imagenet_weights_come_from_keras_applications_own_file_and_compute_its_function(
    keras_cache, storage, monkeypatch, tmp_path, include_top
):
    name, _ = imagenet.RESNET50_FILES[include_top]
    reference = write_keras_applications_file(tmp_path / name, include_top, seed=1)
    content = (tmp_path / name).read_bytes()
    storage.files[name] = content
    # The published file's hash belongs to the published weights; this random file has its own.
    monkeypatch.setitem(imagenet.RESNET50_FILES, include_top, (name, hashlib.md5(content).hexdigest()))
    head = {"classifier_activation": None} if include_top else {"pooling": "avg"}
    model = models.resnet50(weights="imagenet", input_shape=(64, 64, 3), include_top=include_top, **head)
    assert (keras_cache / name).read_bytes() == content
    if include_top:
        reference.get_layer("predictions").activation = None
    else:
        import keras

        reference = keras.Sequential([reference, keras.layers.GlobalAveragePooling2D()])
    images = np.random.default_rng(0).uniform(0, 255, (2, 64, 64, 3)).astype("float32")
    x = models.preprocess_input("imagenet", images)
    np.testing.assert_allclose(model.predict(x, verbose=0), reference.predict(x, verbose=0), atol=1e-4, rtol=1e-4)
    storage.served.clear()
    models.resnet50(weights="imagenet", input_shape=(64, 64, 3), include_top=include_top)  # the cache serves
    assert storage.served == []
