#pragma once
// Unpacked layers, one dir per chain id: <root>/layers/<chain hex>/ holding
// diff/ (the content, an overlayfs lowerdir) and layer.json
// {chain_id, diff_id, parent, size}. A layer dir only appears (atomic rename)
// once its content was unpacked and its diff_id verified.

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <vector>

#include "storage/disk_usage.h"
#include "storage/digest.h"

namespace berth::storage {

struct LayerInfo {
  Digest chain_id;
  Digest diff_id;
  std::optional<Digest> parent;  // chain id of the layer below; none for the bottom layer
  int64_t size = 0;              // uncompressed tar size
};

// OCI image spec: ChainID(L0) = DiffID(L0);
// ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)).
Digest ChainID(const std::optional<Digest>& parent, const Digest& diff_id);

class LayerStore {
 public:
  // Creates `dir` as needed.
  explicit LayerStore(std::string dir);

  // A layer unpacked and verified in a temp dir under the store, not yet
  // visible, or one that was stored already. Holds the layer's claim (see
  // Prepare) until it is published or dropped; dropped, its temp dir goes.
  class Prepared {
   public:
    Prepared(Prepared&& o) noexcept;
    Prepared& operator=(Prepared&& o) noexcept;
    Prepared(const Prepared&) = delete;
    Prepared& operator=(const Prepared&) = delete;
    ~Prepared();
    const LayerInfo& info() const { return info_; }

   private:
    friend class LayerStore;
    Prepared(LayerStore* store, LayerInfo info, bool claimed);
    void Release() noexcept;  // removes the temp dir (if any), ends the claim (if held)

    LayerStore* store_ = nullptr;
    LayerInfo info_;
    std::string tmp_;       // "" once published, or for a stored layer
    bool claimed_ = false;  // holds the chain id's claim
  };

  // Unpacks the (compressed) layer blob into a temp dir and verifies its
  // diff_id (FAILED_PRECONDITION naming both digests on mismatch; nothing
  // kept). `parent` only names the chain: its content is not needed to
  // unpack, so the layers of one image can be prepared in parallel. Returns
  // at once if the layer is stored. One caller at a time holds a chain id:
  // another waits for it to publish (then gets the stored layer) or to drop
  // its claim (then unpacks itself); a stop requested on `stop` ends that
  // wait (INTERNAL), so a cancelled pull never waits on another one.
  Prepared Prepare(const std::string& blob_path, const Digest& diff_id, const std::optional<Digest>& parent,
                   std::stop_token stop = {});
  // Makes a prepared layer visible (one rename). Its parent must be stored:
  // FAILED_PRECONDITION otherwise.
  LayerInfo Publish(Prepared layer);
  // Prepare, then Publish; the parent is checked first.
  LayerInfo Unpack(const std::string& blob_path, const Digest& diff_id, const std::optional<Digest>& parent);

  bool Has(const Digest& chain_id) const;
  // NOT_FOUND if absent.
  LayerInfo Get(const Digest& chain_id) const;
  // The layer's diff/ dir (whether or not it exists).
  std::string DiffPath(const Digest& chain_id) const;
  // Every stored layer (dirs with an unreadable layer.json are skipped and logged).
  std::vector<LayerInfo> List() const;
  // Removes a layer; returns false if it was not there. Renames the dir away
  // first so a half-removed layer is never seen as present.
  bool Remove(const Digest& chain_id);
  // Moves a layer dir into a removal dir <root>/layers/.rm-* (one rename: at
  // once absent, and a crash leaves only that dir, which CleanPartial
  // removes). Returns the removal dir for the caller to delete when convenient
  // (e.g. outside its lock), or "" if the layer was not there.
  std::string MoveToTrash(const Digest& chain_id);
  // Removes temp dirs of unpacks or removals interrupted by a crash (call at start).
  void CleanPartial();

  using Usage = storage::DiskUsage;
  // The layer dir's tree (storage::DirUsage).
  Usage DiskUsage() const;

  const std::string& dir() const { return layers_dir_; }

 private:
  // Claims the chain id, after waiting out another holder; false if the layer
  // is stored (found after the wait).
  bool Claim(const Digest& chain, std::stop_token stop);
  void EndClaim(const Digest& chain) noexcept;
  // FAILED_PRECONDITION unless the layer below `chain` is stored.
  void RequireParent(const Digest& chain, const std::optional<Digest>& parent) const;
  // Unpacks into a new temp dir (returned) with layer.json, flushed to disk;
  // sets info.size.
  std::string UnpackToTemp(const std::string& blob_path, LayerInfo& info);
  void RemoveDir(const std::string& dir);
  std::string TrashDir(const std::string& dir);  // renames dir into a new .rm- dir, returns that

  std::string layers_dir_;  // <root>/layers
  std::mutex mu_;
  std::condition_variable_any released_;  // a claim ended
  std::set<Digest> claimed_;              // chain ids being unpacked or published
};

}  // namespace berth::storage
