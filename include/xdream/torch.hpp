#pragma once
/// @file
/// Umbrella of the LibTorch adapters (the only headers that include LibTorch): a TorchScript
/// generator and network, one unit of a network or a population pattern over a tap's channels
/// as an Objective, device and thread choice.

#include <xdream/torch/device.hpp>
#include <xdream/torch/generator.hpp>
#include <xdream/torch/module.hpp>
#include <xdream/torch/network.hpp>
#include <xdream/torch/network_pattern.hpp>
#include <xdream/torch/network_unit.hpp>
