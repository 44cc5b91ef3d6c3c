"""Runs the manifest with airbyte-cdk, as Airbyte's declarative-manifest image does:
`python main.py spec|check|discover|read --config ... [--catalog ... --state ...]`."""

import sys
from pathlib import Path

from airbyte_cdk.entrypoint import AirbyteEntrypoint, launch
from airbyte_cdk.sources.declarative.yaml_declarative_source import YamlDeclarativeSource

MANIFEST = Path(__file__).with_name("manifest.yaml")


def main(args: list[str]) -> None:
    catalog_path = AirbyteEntrypoint.extract_catalog(args)
    config_path = AirbyteEntrypoint.extract_config(args)
    state_path = AirbyteEntrypoint.extract_state(args)
    source = YamlDeclarativeSource(
        path_to_yaml=str(MANIFEST),
        catalog=YamlDeclarativeSource.read_catalog(catalog_path) if catalog_path else None,
        config=YamlDeclarativeSource.read_config(config_path) if config_path else None,
        state=YamlDeclarativeSource.read_state(state_path) if state_path else None,
    )
    launch(source, args)


if __name__ == "__main__":
    main(sys.argv[1:])
