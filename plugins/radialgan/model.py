"""RadialGAN (Yoon, Jordon & van der Schaar, ICML 2018).

Every domain i (a hospital, say) has its own feature subset X_i, an encoder E_i: X_i → Z into
one shared latent space, a decoder G_i: Z → X_i and a discriminator D_i. A row of domain i is
translated to domain j as G_j(E_i(x_i)). Training, per batch of rows from all domains:

* D_j: real rows of j versus rows translated into j from every other domain
  (non-saturating: softplus(−D_j(x_j)) + softplus(D_j(G_j(E_i(x_i))))).
* E, G: fool every D_j with the translations, keep codes through translation
  (cycle λ‖E_j(G_j(E_i(x_i))) − E_i(x_i)‖²) and reconstruct within a domain
  (‖G_i(E_i(x_i)) − x_i‖²).

Rows are encoded over the union of all columns (continuous standardised, categorical one-hot);
decoders have linear heads for continuous columns and softmax heads for categories. Sampling
draws codes from a Gaussian fitted to the training codes (tracked mean and covariance) and
decodes them into the asked domain.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from genzoo.data.tabular import TableCodec
from genzoo.errors import CapabilityError
from genzoo.model import GenerativeModel
from genzoo.train.phases import Batch, Phase, TrainContext


def mlp(sizes: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for a, b in itertools.pairwise(sizes[:-1]):
        layers += [nn.Linear(a, b), nn.LeakyReLU(0.2)]
    layers.append(nn.Linear(sizes[-2], sizes[-1]))
    return nn.Sequential(*layers)


class Prior(nn.Module):
    """Buffers: running mean/covariance of codes, and column statistics of the union table."""

    def __init__(self, z_dim: int, n_cont: int) -> None:
        super().__init__()
        self.register_buffer("code_mean", torch.zeros(z_dim))
        self.register_buffer("code_cov", torch.eye(z_dim))
        self.register_buffer("col_mean", torch.zeros(n_cont))
        self.register_buffer("col_std", torch.ones(n_cont))


class RadialGAN(GenerativeModel):
    """Multi-domain tabular model; see the module docstring."""

    sampling_networks = ("E", "G", "P")
    capabilities = frozenset({"sample", "translate", "encode"})

    def __init__(self, spec: Any) -> None:
        super().__init__(spec)
        a = spec.arch
        self.domains = list(spec.conditions.names)
        self.union = TableCodec(spec.data.columns)
        self.cont = [c.name for c in spec.data.columns if c.type == "continuous"]
        z = spec.latent.dim
        self.index: dict[str, torch.Tensor] = {}
        for d in self.domains:
            cols = set(a.domain_columns[d])
            idx = [
                i
                for b in self.union.blocks
                if b.column.name in cols
                for i in range(b.start, b.start + b.width)
            ]
            self.index[d] = torch.tensor(idx)
        width = {d: len(self.index[d]) for d in self.domains}
        self.E = nn.ModuleDict({d: mlp([width[d], *a.hidden, z]) for d in self.domains})
        self.G = nn.ModuleDict({d: mlp([z, *a.hidden[::-1], width[d]]) for d in self.domains})
        self.D = nn.ModuleDict({d: mlp([width[d], *a.hidden, 1]) for d in self.domains})
        self.P = Prior(z, len(self.cont))

    # -- helpers -------------------------------------------------------------------------------
    def domain_index(self, domain: int | str) -> int:
        if isinstance(domain, str) and domain not in self.domains and domain.isdigit():
            domain = int(domain)
        if isinstance(domain, str):
            if domain not in self.domains:
                raise CapabilityError(f"unknown domain {domain!r}; domains: {self.domains}")
            return self.domains.index(domain)
        if not 0 <= int(domain) < len(self.domains):
            raise CapabilityError(f"domain {domain} out of range 0..{len(self.domains) - 1}")
        return int(domain)

    def codec(self, domain: int | str) -> TableCodec:
        """The codec of one domain's columns, with the fitted statistics."""
        d = self.domains[self.domain_index(domain)]
        cols = [
            c for c in self.spec.data.columns if c.name in set(self.spec.arch.domain_columns[d])
        ]
        stats = {
            n: (float(m), float(s))
            for n, m, s in zip(self.cont, self.P.col_mean, self.P.col_std, strict=True)
        }
        return TableCodec(cols, stats)

    def fit_data(self, data: Any) -> None:
        stats = data.info.get("stats", {})
        with torch.no_grad():
            for i, n in enumerate(self.cont):
                if n in stats:
                    self.P.col_mean[i], self.P.col_std[i] = stats[n]

    def _heads(self, raw: torch.Tensor, domain: str) -> torch.Tensor:
        """Softmax over each categorical block of a domain's decoder output."""
        cols = set(self.spec.arch.domain_columns[domain])
        out, pos = [], 0
        for b in self.union.blocks:
            if b.column.name not in cols:
                continue
            part = raw[:, pos : pos + b.width]
            out.append(part.softmax(1) if b.column.type == "categorical" else part)
            pos += b.width
        return torch.cat(out, 1)

    def generate(self, z: torch.Tensor, domain: int | str) -> torch.Tensor:
        """Codes → encoded rows of ``domain``."""
        d = self.domains[self.domain_index(domain)]
        return self._heads(self.G[d](z), d)

    # -- runtime interface ---------------------------------------------------------------------
    def sample_latent(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        eps = torch.randn(n, self.spec.latent.dim, generator=generator)
        chol = torch.linalg.cholesky(self.P.code_cov.cpu() + 1e-5 * torch.eye(len(self.P.code_cov)))
        return self.P.code_mean.cpu() + eps @ chol.T

    @torch.no_grad()
    def sample(self, n, *, seed=None, labels=None, truncation=None, batch_size=256, domain=None):  # type: ignore[no-untyped-def]
        """``n`` encoded rows of ``domain`` (name or index; ``labels`` is accepted as an alias)."""
        domain = domain if domain is not None else labels
        if domain is None:
            raise CapabilityError(f"{self.spec.name} needs a domain: one of {self.domains}")
        g = torch.Generator().manual_seed(seed if seed is not None else int(torch.seed() % 2**63))
        z = self.sample_latent(n, g)
        if truncation is not None:
            z = self.P.code_mean.cpu() + truncation * (z - self.P.code_mean.cpu())
        return self.generate(z.to(self.device), domain).cpu()

    def sample_table(
        self, n: int, *, domain: int | str, seed: int | None = None
    ) -> dict[str, np.ndarray]:
        """``n`` rows of ``domain`` as named columns."""
        return self.codec(domain).decode(self.sample(n, seed=seed, domain=domain).numpy())

    def decode(self, z, *, labels=None, truncation=None):  # type: ignore[no-untyped-def]
        if labels is None:
            raise CapabilityError("decode needs the domain as `labels`")
        return self.generate(z, int(labels.reshape(-1)[0]))

    @torch.no_grad()
    def translate(
        self, table: dict[str, Any], from_domain: int | str, to_domain: int | str
    ) -> dict[str, np.ndarray]:
        """Rows of one domain (named columns) translated into another: G_to(E_from(x))."""
        src = self.domains[self.domain_index(from_domain)]
        x = torch.as_tensor(self.codec(src).encode(table)).to(self.device)
        out = self.generate(self.E[src](x), to_domain)
        return self.codec(to_domain).decode(out.cpu().numpy())

    # -- training ------------------------------------------------------------------------------
    def _split(self, batch: Batch) -> dict[str, torch.Tensor]:
        assert batch.y is not None, "RadialGAN data must carry domain labels"
        out = {}
        for i, d in enumerate(self.domains):
            rows = batch.x[batch.y == i]
            if len(rows):
                out[d] = rows[:, self.index[d].to(rows.device)]
        return out

    def training_phases(self, ctx: TrainContext) -> list[Phase]:
        a = self.spec.arch

        def d_loss(batch: Batch, ctx: TrainContext):  # type: ignore[no-untyped-def]
            parts = self._split(batch)
            loss = torch.zeros((), device=batch.x.device)
            with torch.no_grad():
                codes = {d: self.E[d](x) for d, x in parts.items()}
            for j in parts:
                fakes = [self.generate(codes[i], j) for i in parts if i != j]
                if not fakes:
                    continue
                loss = loss + F.softplus(-self.D[j](parts[j])).mean()
                loss = loss + F.softplus(self.D[j](torch.cat(fakes).detach())).mean()
            loss = loss / len(self.domains)
            return loss, {"d_loss": float(loss.detach())}

        def g_loss(batch: Batch, ctx: TrainContext):  # type: ignore[no-untyped-def]
            parts = self._split(batch)
            codes = {d: self.E[d](x) for d, x in parts.items()}
            adv = cyc = rec = torch.zeros((), device=batch.x.device)
            for i, zi in codes.items():
                rec = rec + F.mse_loss(self.generate(zi, i), parts[i])
                for j in self.domains:
                    if j == i:
                        continue
                    xij = self.generate(zi, j)
                    adv = adv + F.softplus(-self.D[j](xij)).mean()
                    cyc = cyc + F.mse_loss(self.E[j](xij), zi)
            n = len(self.domains)
            loss = (adv + a.cycle_weight * cyc + a.reconstruction_weight * rec) / n
            with torch.no_grad():
                z = torch.cat(list(codes.values()))
                m = a.code_momentum
                self.P.code_mean.lerp_(z.mean(0), 1 - m)
                self.P.code_cov.lerp_(torch.cov(z.T).reshape_as(self.P.code_cov), 1 - m)
            return loss, {
                "g_adv": float(adv.detach()) / n,
                "cycle": float(cyc.detach()) / n,
                "recon": float(rec.detach()) / n,
            }

        return [
            Phase("D", ("D",), d_loss, repeat=ctx.recipe.n_critic),
            Phase("G", ("E", "G"), g_loss),
        ]
