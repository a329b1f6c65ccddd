"""The simulated AWS account: moto in server mode and a generator writing the debugging guide's
incidents into it in AWS's own formats. Shares no code with core, diagnose, aws, ui or cli."""

from lambdatop.demo.runner import run_demo_command
from lambdatop.demo.scenarios import CHECK_IDS, SCENARIOS, Scenario, select_scenarios
from lambdatop.demo.simulated_account import SimulatedAccount

__all__ = [
    "CHECK_IDS",
    "SCENARIOS",
    "Scenario",
    "SimulatedAccount",
    "run_demo_command",
    "select_scenarios",
]
