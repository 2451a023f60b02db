#pragma once
/// @file
/// What a session shows the animal: stimuli (synthetic images of a generation, natural
/// reference images) in blocks, and what the rig sends back (responses), in the vocabulary of
/// every transport.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace xdream::rig {

/// One image: floats in [0, 1], channel-major (C x H x W, C = 1 grey or 3 RGB).
struct RigImage {
  std::vector<float> pixels;
  int channels = 1;
  int height = 0;
  int width = 0;
};

/// A batch of images: what a rig objective scores (a generator's stimuli, converted).
using RigImages = std::vector<RigImage>;

enum class StimulusKind { synthetic, reference };

/// One stimulus of a block. Ids are unique within a session: `SESSION-gG-I` for image I of
/// generation G (`SESSION-NAME-gG-I` in a session of several optimizers, NAME the thread's),
/// `ref-NAME` for a reference image.
struct RigStimulus {
  std::string id;
  StimulusKind kind = StimulusKind::synthetic;
  std::shared_ptr<const RigImage> image;
  int thread = -1;  ///< a synthetic image's optimizer (its index in the session); -1: a reference
};

/// A block: the stimuli shown together, in the order to show them (already shuffled).
struct RigBlock {
  std::string session;
  std::uint32_t number = 0;      ///< 1, 2, ... within the session, never restarting
  std::uint32_t generation = 0;  ///< the generation its synthetic stimuli belong to
  std::uint32_t attempt = 1;     ///< 1 + re-issues of that generation
  bool reshow = false;           ///< shows again what earlier blocks of the attempt missed
  int reps = 1;                  ///< presentations of each stimulus
  double deadline_s = 0.0;       ///< how long a silent rig is waited for
  std::vector<RigStimulus> stimuli;
  /// Set when the block was submitted before a crash and is taken up again (resume): a
  /// transport must not write it again if it is still there, only watch for its responses.
  bool reattached = false;
};

/// One response: a stimulus's value on one channel in one presentation (NaN = no response).
struct RigResponse {
  std::string stim_id;
  int rep = 0;
  std::string channel;
  double value = 0.0;
};

/// A block's name in file names: "block007", "block1234".
inline std::string block_name(std::uint32_t number) {
  char name[32];
  std::snprintf(name, sizeof name, "block%03u", number);
  return name;
}

/// The PNG file of stimulus `index` of block `number`, as every transport and the record name
/// it: "block007_003_<stim_id>.png".
inline std::string image_file_name(std::uint32_t number, std::size_t index,
                                   const std::string& stim_id) {
  char position[24];
  std::snprintf(position, sizeof position, "_%03zu_", index);
  return block_name(number) + position + stim_id + ".png";
}

}  // namespace xdream::rig
