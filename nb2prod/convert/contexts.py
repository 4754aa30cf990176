"""The typed contexts of the five templates: one frozen dataclass per template, and the small ones
they hold. Templates are a public interface (`--templates DIR`); templates/README.md documents
every field, and tests/test_artifacts.py checks that it does."""

from __future__ import annotations

from typing import TYPE_CHECKING, List, Optional, Tuple

from nb2prod.frozen import frozen

if TYPE_CHECKING:  # lift imports libcst; the contexts only name its Function type
    from nb2prod.convert.lift import Function


@frozen
class Option:
    """One `parser.add_argument(...)` of train.py's main()."""

    flag: str  # "--n-estimators"
    dest: str  # the variable name when the flag does not spell it, else ""
    type: str  # "int", "float", "str", "bool", or "json" (a list or dict read with json.loads)
    default: str  # the default as Python source: "100", '"data.csv"'
    help: str  # the help text
    nargs: str = ""  # "+" for a list or tuple of one scalar type (`type` is the element's), else ""
    aliases: Tuple[str, ...] = ()  # more flags for it: ("--model-path",) on the option holding the model's path


@frozen
class ScriptContext:
    """What train.py.j2 and score.py.j2 both receive: the module docstring, imports, module code, steps."""

    title: str
    intro: str
    notebook: str
    script: str
    imports: Tuple[str, ...]
    module: Tuple[str, ...]
    gap: str
    module_block: str
    functions: Tuple[Function, ...]


@frozen
class MetricsReport:
    """What train.py's main() does with the metrics its evaluation steps return."""

    var: str  # the variable holding them in main(): "metrics"
    report: str  # the function that prints them and writes them as JSON: "report_metrics"
    plain: str  # its JSON helper for numpy values: "_plain"
    dest: str  # the option holding the JSON file's path: "metrics_path"


@frozen
class ParamsFile:
    """train.py's `--params FILE`: a JSON (or YAML) file setting any of the options; flags given win."""

    flag: str  # "--params", or "--params-file" when an option of the notebook is called that
    dest: str  # "params"
    reader: str  # the function reading the file and checking its keys: "read_params"


@frozen
class TrainContext(ScriptContext):
    """train.py.j2"""

    options: Tuple[Option, ...]
    options_name: str
    calls: Tuple[str, ...]
    metrics: Optional[MetricsReport]  # None when the notebook evaluates nothing train.py can report
    params: ParamsFile


@frozen
class EvaluationTest:
    """The test of the evaluation steps: run the steps through the last one, check the metrics."""

    calls: Tuple[str, ...]  # the steps as the test calls them, the metrics collected into `var`
    var: str  # "metrics"
    keys: Tuple[str, ...]  # the keys the metrics must have, in order (a `**merged` dict adds its own)
    exact: bool  # no merged dict: the keys are exactly these


@frozen
class TrainCall:
    """The training step as the tests call it."""

    name: str  # "train_model"
    args: str  # "X_train, y_train"
    returns: str  # "model"


@frozen
class Fitted:
    """The model the training step returns."""

    variable: str  # "model"
    cls: Optional[str]  # its class as train.py names it, None for a factory (`make_pipeline`)
    slug: str  # snake_case of the class for test names: "random_forest_regressor"


@frozen
class Mocked:
    """The estimator class whose fit/predict the mocked test patches."""

    slug: str
    fit_target: str  # "train.RandomForestRegressor.fit"
    predict_target: str  # "train.RandomForestRegressor.predict"
    predicts: bool  # the training step also calls predict


@frozen
class MainTest:
    """One test that runs main() and checks a file it saves."""

    slug: str  # from the file name: "model"
    chdir: bool  # the test runs main() in tmp_path: a fixed file name, or relative paths main() reads
    argv: str  # main()'s arguments as Python source: "[]", '["--model-path", str(tmp_path / "m.pkl")]'
    path: str  # where the file lands, as Python source: 'tmp_path / "model.pkl"'
    loader: Optional[str]  # how to read it back given `path`: "joblib.load(path)", or None
    predicts: bool  # the saved object is the model (it must have predict)


@frozen
class TestsContext:
    """What test_train.py.j2 and test_score.py.j2 both receive: the script under test and its imports."""

    script: str
    notebook: str
    module: str
    imports: Tuple[str, ...]


@frozen
class TrainTestsContext(TestsContext):
    """test_train.py.j2"""

    upstream: Tuple[str, ...]  # the steps before training, as the fitted-model test calls them
    mocked_upstream: Tuple[str, ...]  # the same, as the mocked test calls them (it reads less)
    train: Optional[TrainCall]
    fitted: Optional[Fitted]
    mocked: Optional[Mocked]
    predict_input: Optional[str]
    main_tests: Tuple[MainTest, ...]
    printed: List[int]  # a list: the template writes its repr
    data_files: Tuple[str, ...]
    outside: Tuple[str, ...]  # files main() reads from outside the folder it runs in: no test runs main()
    smoke: bool
    evaluation: Optional[EvaluationTest]
    printing: Tuple[str, ...]  # the steps the printed-output test runs, through the last one that prints
    metrics_argv: str  # main()'s arguments that send the metrics JSON under tmp_path ("" without metrics)


@frozen
class RequestShape:
    """The fixed shape of the sample request's rows, which run() checks each request against first."""

    key: Optional[str]  # the request key holding the rows; None when the request is the rows
    form: str  # "values" (rows of `width` values), "records" (rows naming `columns`), "columns" (a list per column)
    width: int  # values per row ("values"), else 0
    columns: str  # the column names as a tuple literal, code ("records", "columns"), else "()"
    numbers: bool  # the sample holds only numbers: so must a request
    no_rows: str  # the message for a request without its rows where the sample has them, code


@frozen
class ScoreContext(ScriptContext):
    """score.py.j2"""

    sample: Optional[str]
    globals: Tuple[str, ...]
    uses_model_file: bool
    uses_jsonable: bool
    options_name: str
    parser_name: str  # the script's own module-level names, clear of the notebook's (plan.script_names)
    sample_name: str
    model_file_helper: str
    jsonable_helper: str
    request: Optional[RequestShape]  # None when the sample has no fixed shape (or there is no sample)
    request_problem_helper: str
    bad_request_helper: str


@frozen
class Trained:
    """The companion training script the end-to-end score test runs first."""

    module: str  # "train"
    argv: str  # "[]"
    data_files: Tuple[str, ...]  # what the training notebook reads


@frozen
class ScoreTestsContext(TestsContext):
    """test_score.py.j2"""

    sample: Optional[str]
    globals: Tuple[str, ...]
    loader: bool
    dumper: str
    model_file: str
    model_global: Optional[str]
    trained: Optional[Trained]
    result_key: Optional[str]
    stub: str
    rows_key: Optional[str]
    sample_name: str  # score.py's sample request constant
    wrong_request: Optional[str]  # a request of the wrong shape, JSON text; None when run() checks none
    wrong_message: Optional[str]  # the error run() answers it with
    checks: Tuple["SampleAssert", ...] = ()  # the notebook's checks of its sample's answer any model passes
    trained_checks: Tuple["SampleAssert", ...] = ()  # those reading the answer's values: with the trained model


@frozen
class SampleAssert:
    """A scoring notebook's assert on its sample (NB110), as test_score.py asserts it."""

    condition: str  # code, in the tests' names: `answer` is run()'s answer to the sample request
    message: str  # the assertion's message, unescaped: where the check was in the notebook, and its text


@frozen
class EvaluateContext:
    """evaluate.py.j2 (built by convert/evaluate.py; the fields are its keys)"""

    notebook: str
    metric: str
    model: str
    body: Tuple[str, ...]
    inputs: List[str]
    calls: List[str]
    imports: List[str]
    from_train: List[str]
    loader: str
    higher_is_better: Optional[bool]


@frozen
class KfpParameter:
    """One pipeline parameter: a train.py option a step reads, with the notebook's default."""

    name: str  # the option's variable: "n_estimators"
    type: str  # "int", "float", "str", "bool"
    default: str  # as Python source: "100"


@frozen
class KfpComponent:
    """One `@dsl.component` of pipeline_kfp.py: a lightweight component calling train.py's steps."""

    name: str  # "train_step"
    doc: str  # its docstring's text (escaped by the template)
    signature: str  # its parameters, code: "script_dir: str, data: Input[Dataset], C: float"
    returns: str  # its return annotation, "" for none: "float"
    body: Tuple[str, ...]  # its body's lines, code
    parameters: Tuple[str, ...]  # the pipeline parameters it takes


@frozen
class KfpContext:
    """pipeline_kfp.py.j2 (convert --pipeline kfp; built by convert/pipelines/kfp.py)"""

    notebook: str
    script: str  # "train.py"
    name: str  # the pipeline's name: lower-case letters, digits and dashes
    title: str  # the notebook's title, for the description
    library: str  # "joblib" or "pickle": how the model and the data are written between steps
    module: str  # how the components import train.py: "train"
    script_dir: str  # the parameter holding train.py's folder: "script_dir"
    production: str  # the parameter holding the production model's metric: "production_metric"
    parameters: Tuple[KfpParameter, ...]
    components: Tuple[KfpComponent, ...]  # data, train, evaluate, register
    gate: str  # the metric the gate compares
    higher_is_better: bool
    known_direction: bool  # the direction comes from the metric's name (else higher is assumed)
    tasks: Tuple[str, ...]  # the pipeline function's body, code


CONTEXTS = (TrainContext, TrainTestsContext, ScoreContext, ScoreTestsContext, EvaluateContext,
            Option, ParamsFile, TrainCall, Fitted, Mocked, MainTest, Trained, RequestShape, KfpContext,
            KfpParameter, KfpComponent)
