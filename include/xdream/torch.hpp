#pragma once
/// @file
/// Umbrella of the LibTorch adapters (the only headers that include LibTorch): a TorchScript
/// generator and network, one unit of a network as an Objective, device and thread choice.

#include <xdream/torch/device.hpp>
#include <xdream/torch/generator.hpp>
#include <xdream/torch/module.hpp>
#include <xdream/torch/network.hpp>
#include <xdream/torch/network_unit.hpp>
