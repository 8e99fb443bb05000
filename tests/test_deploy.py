"""What no Docker engine or cluster here can run is checked on the files themselves: the
compose file, the Kubernetes manifests, the Dockerfile and the README's settings table agree
with the code (routes, port, the names ``Settings.from_environ`` reads, the image's user)."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path
from typing import Any

import yaml

from gateway.app import create_app
from gateway.settings import VARIABLES, Settings

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "deploy" / "k8s"
SANDBOX_SOURCE = (ROOT / "gateway" / "sandbox" / "config.py").read_text()
PORT = Settings().port


def env_names(source: str) -> set[str]:
    return set(re.findall(r'"((?:GATEWAY|HUBSPOT|SANDBOX)_[A-Z0-9_]+|REDIS_URL)"', source))


SETTINGS_NAMES = {variable.name for variable in VARIABLES}
KNOWN_NAMES = SETTINGS_NAMES | env_names(SANDBOX_SOURCE)


def known(name: str) -> bool:
    # OTEL_* are read by tracing and the OpenTelemetry SDK, not by Settings.
    return name in KNOWN_NAMES or name.startswith("OTEL_")


def routes() -> set[str]:
    app = create_app(Settings())
    return {getattr(route, "path", "") for route in app.routes}


def manifests() -> list[dict[str, Any]]:
    documents: list[dict[str, Any]] = []
    for path in sorted(K8S.glob("*.yaml")):
        documents.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    return documents


def manifest(kind: str, name: str) -> dict[str, Any]:
    (found,) = [d for d in manifests() if d["kind"] == kind and d["metadata"]["name"] == name]
    return found


def test_every_variable_fills_its_own_field() -> None:
    attributes = [variable.attribute for variable in VARIABLES]
    assert len(set(attributes)) == len(attributes) == len(SETTINGS_NAMES)
    assert set(attributes) == {f.name for f in fields(Settings)}


# -- README ----------------------------------------------------------------------------------


def readme_settings_rows() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    table = readme.split("### Every setting", 1)[1].split("\n\n")[2]
    return table.splitlines()[2:]


def test_the_readme_table_is_the_settings_table() -> None:
    defaults = Settings()
    expected = [v.readme_row(getattr(defaults, v.attribute)) for v in VARIABLES]
    assert readme_settings_rows() == expected


def test_the_two_commands_are_untouched() -> None:
    readme = (ROOT / "README.md").read_text()
    assert (
        "python3 -m venv .venv && .venv/bin/pip install -q . && .venv/bin/meetings-gateway serve"
        in readme
    )
    assert "\nbash scripts/test\n" in readme


# -- Dockerfile ------------------------------------------------------------------------------


def test_the_dockerfile_is_multi_stage_non_root_and_health_checked() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", dockerfile, re.M)) >= 2
    assert "COPY --from=build" in dockerfile
    users = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert users
    assert users[-1].split(":")[0] not in ("root", "0")
    healthcheck = re.search(r"^HEALTHCHECK .*?(?<!\\)\n", dockerfile, re.M | re.S)
    assert healthcheck is not None
    assert f"127.0.0.1:{PORT}/healthz" in healthcheck.group(0)
    assert re.search(r'^CMD \["meetings-gateway", "serve", "--host", "0.0.0.0"\]', dockerfile, re.M)
    assert f"EXPOSE {PORT}" in dockerfile
    assert "/healthz" in routes()


# -- docker compose --------------------------------------------------------------------------


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def test_compose_runs_the_gateway_with_redis_in_two_profiles() -> None:
    services = compose()["services"]
    assert services["redis"]["image"].startswith("redis:")
    assert "profiles" not in services["redis"]  # Redis comes with every profile
    sandbox, hubspot = services["gateway-sandbox"], services["gateway-hubspot"]
    assert sandbox["profiles"] == ["sandbox"]
    assert hubspot["profiles"] == ["hubspot"]
    for service in (sandbox, hubspot):
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
        assert (ROOT / service["build"]["context"] / service["build"]["dockerfile"]).is_file()
        assert service["ports"] == [f"{PORT}:{PORT}"]
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
        assert service["environment"]["REDIS_URL"] == "redis://redis:6379/0"
        assert any("/healthz" in part for part in service["healthcheck"]["test"])
        assert service["cap_drop"] == ["ALL"]
        assert all(known(name) for name in service["environment"]), service["environment"]
    assert "HUBSPOT_ACCESS_TOKEN" not in sandbox["environment"]
    assert hubspot["environment"]["HUBSPOT_ACCESS_TOKEN"].startswith("${HUBSPOT_ACCESS_TOKEN:?")


def test_compose_environment_values_are_ones_settings_accepts() -> None:
    for name in ("gateway-sandbox", "gateway-hubspot"):
        environment = {
            key: value
            for key, value in compose()["services"][name]["environment"].items()
            if not value.startswith("$")
        }
        Settings.from_environ(environment)  # raises SettingsError naming a bad one


# -- Kubernetes ------------------------------------------------------------------------------


def gateway_container() -> dict[str, Any]:
    deployment = manifest("Deployment", "meetings-gateway")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    found: dict[str, Any] = container
    return found


def test_probes_point_at_the_apps_own_routes_and_port() -> None:
    container = gateway_container()
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports == {"http": PORT}
    liveness, readiness = container["livenessProbe"], container["readinessProbe"]
    assert liveness["httpGet"] == {"path": "/healthz", "port": "http"}
    assert readiness["httpGet"] == {"path": "/readyz", "port": "http"}
    assert {"/healthz", "/readyz", "/metrics"} <= routes()
    assert container["command"] == ["meetings-gateway", "serve", "--host", "0.0.0.0"]
    annotations = manifest("Deployment", "meetings-gateway")["spec"]["template"]["metadata"][
        "annotations"
    ]
    assert annotations["prometheus.io/path"] == "/metrics"
    assert annotations["prometheus.io/port"] == str(PORT)


def test_the_gateway_runs_locked_down() -> None:
    pod = manifest("Deployment", "meetings-gateway")["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["automountServiceAccountToken"] is False
    for container in pod["containers"]:
        context = container["securityContext"]
        assert context["runAsNonRoot"] is True
        assert context["readOnlyRootFilesystem"] is True
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"]["drop"] == ["ALL"]
        assert "add" not in context["capabilities"]
        assert container["resources"]["requests"]
        assert container["resources"]["limits"]


def test_settings_come_from_the_configmap_and_the_token_from_a_secret() -> None:
    container = gateway_container()
    config = manifest("ConfigMap", "meetings-gateway")["data"]
    assert container["envFrom"] == [{"configMapRef": {"name": "meetings-gateway"}}]
    assert all(known(name) for name in config), sorted(n for n in config if not known(n))
    assert "HUBSPOT_ACCESS_TOKEN" not in config
    Settings.from_environ(config)
    (token,) = [env for env in container["env"] if env["name"] == "HUBSPOT_ACCESS_TOKEN"]
    reference = token["valueFrom"]["secretKeyRef"]
    secret = manifest("Secret", "meetings-gateway-hubspot")
    assert reference["name"] == secret["metadata"]["name"]
    assert reference["key"] in secret["stringData"]
    assert all(known(env["name"]) for env in container["env"])
    # The example Secret holds a placeholder and is never applied by the kustomization.
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert "secret.example.yaml" not in kustomization["resources"]
    listed = set(kustomization["resources"])
    assert listed == {p.name for p in K8S.glob("*.yaml")} - {
        "kustomization.yaml",
        "secret.example.yaml",
    }


def test_redis_service_matches_the_configured_url() -> None:
    config = manifest("ConfigMap", "meetings-gateway")["data"]
    service = manifest("Service", "meetings-gateway-redis")
    assert config["REDIS_URL"] == f"redis://{service['metadata']['name']}:6379/0"
    assert service["spec"]["ports"][0]["port"] == 6379
    redis = manifest("Deployment", "meetings-gateway-redis")
    labels = redis["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    (container,) = redis["spec"]["template"]["spec"]["containers"]
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]


def test_service_hpa_and_pdb_select_the_gateway() -> None:
    labels = manifest("Deployment", "meetings-gateway")["spec"]["template"]["metadata"]["labels"]
    service = manifest("Service", "meetings-gateway")
    assert service["spec"]["selector"].items() <= labels.items()
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    pdb = manifest("PodDisruptionBudget", "meetings-gateway")
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    hpa = manifest("HorizontalPodAutoscaler", "meetings-gateway")
    assert hpa["spec"]["scaleTargetRef"]["name"] == "meetings-gateway"
    assert hpa["spec"]["minReplicas"] >= 2 > pdb["spec"]["minAvailable"]
