"""Demo and benchmark data: the demo county for a first look (`make run`, the tests' world)
and bulk cases for bench/. Builds on every feature; nothing imports it but the CLI and tests."""


def init_app(app) -> None:
    from demo.cli import bench_data_command, seed_demo_command
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(bench_data_command)
