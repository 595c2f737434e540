"""The same three measures in OpenFisca, for bench/policy: a08-jiebang, a13-joint-rd and
a18-empowerment with its annual cap (OpenFisca has no ledger: the amount already granted this
year is an input). Reads the inputs written by the Rust benchmark, computes each measure over
its rows as one vectorised simulation, and writes the amounts (one per line, input order) and
the seconds from building the simulations to the results.

Usage: python measures.py INPUTS.csv OUTPUTS.txt
"""

import csv
import json
import sys
import time

import numpy as np
from openfisca_core.entities import build_entity
from openfisca_core.model_api import max_, min_
from openfisca_core.parameters import ParameterNode
from openfisca_core.periods import YEAR
from openfisca_core.simulation_builder import SimulationBuilder
from openfisca_core.taxbenefitsystems import TaxBenefitSystem
from openfisca_core.variables import Variable

Applicant = build_entity(
    key="applicant", plural="applicants", label="申报单位", is_person=True
)


class base_amount(Variable):
    value_type = float
    entity = Applicant
    definition_period = YEAR
    label = "企业投入 / 新增投入"


class empowered_count(Variable):
    value_type = int
    entity = Applicant
    definition_period = YEAR
    label = "赋权改革成果数"


class granted_this_year(Variable):
    value_type = float
    entity = Applicant
    definition_period = YEAR
    label = "本年已获资助"


class a08_jiebang(Variable):
    value_type = float
    entity = Applicant
    definition_period = YEAR
    label = "揭榜制项目资助"

    def formula(applicant, period, parameters):
        p = parameters(period).a08_jiebang
        return min_(applicant("base_amount", period) * p.rate, p.cap)


class a13_joint_rd(Variable):
    value_type = float
    entity = Applicant
    definition_period = YEAR
    label = "新研机构联合攻关资助"

    def formula(applicant, period, parameters):
        p = parameters(period).a13_joint_rd
        return min_(applicant("base_amount", period) * p.rate, p.cap)


class a18_empowerment(Variable):
    value_type = float
    entity = Applicant
    definition_period = YEAR
    label = "赋权改革资助"

    def formula(applicant, period, parameters):
        p = parameters(period).a18_empowerment
        room = max_(p.cap_year - applicant("granted_this_year", period), 0)
        return min_(applicant("empowered_count", period) * p.per_item, room)


def system():
    tbs = TaxBenefitSystem([Applicant])
    for variable in (
        base_amount,
        empowered_count,
        granted_this_year,
        a08_jiebang,
        a13_joint_rd,
        a18_empowerment,
    ):
        tbs.add_variable(variable)
    dated = lambda v: {"values": {"2025-01-01": v}}
    tbs.parameters = ParameterNode(
        "",
        data={
            "a08_jiebang": {"rate": dated(0.10), "cap": dated(2000000)},
            "a13_joint_rd": {"rate": dated(0.20), "cap": dated(3000000)},
            "a18_empowerment": {"per_item": dated(50000), "cap_year": dated(1000000)},
        },
    )
    return tbs


def main():
    inputs, outputs = sys.argv[1], sys.argv[2]
    measures, bases, counts, granted = [], [], [], []
    with open(inputs, newline="") as f:
        for row in csv.DictReader(f):
            measures.append(row["measure"])
            bases.append(float(row["base"]) if row["base"] else 0.0)
            counts.append(int(row["count"]) if row["count"] else 0)
            granted.append(float(row["granted"]) if row["granted"] else 0.0)
    measures = np.array(measures)
    bases = np.array(bases)
    counts = np.array(counts)
    granted = np.array(granted)
    tbs = system()
    amounts = np.zeros(len(measures), dtype=np.float64)

    start = time.perf_counter()
    for measure, variable in (
        ("a08-jiebang", "a08_jiebang"),
        ("a13-joint-rd", "a13_joint_rd"),
        ("a18-empowerment", "a18_empowerment"),
    ):
        rows = np.nonzero(measures == measure)[0]
        simulation = SimulationBuilder().build_default_simulation(tbs, count=len(rows))
        simulation.set_input("base_amount", "2026", bases[rows])
        simulation.set_input("empowered_count", "2026", counts[rows])
        simulation.set_input("granted_this_year", "2026", granted[rows])
        amounts[rows] = simulation.calculate(variable, "2026")
    seconds = time.perf_counter() - start

    with open(outputs, "w") as f:
        for amount in amounts:
            f.write(repr(float(amount)) + "\n")
    from importlib.metadata import version

    print(
        json.dumps(
            {
                "seconds": seconds,
                "rows": int(len(measures)),
                "version": version("openfisca-core"),
            }
        )
    )


if __name__ == "__main__":
    main()
