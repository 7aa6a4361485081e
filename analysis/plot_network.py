"""The network plot of one muscle: drawn by analysis/plot.py."""

from .plot import network_plot as network_plot
