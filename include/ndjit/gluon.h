// ndjit::gluon: layers, losses, data loading and optimizers in the style of MXNet Gluon 1.x.
//
//   namespace gluon = ndjit::gluon;
//   gluon::nn::Dense net(10);                 // in_units inferred on the first call
//   net.initialize();                         // weight ~ U(-0.07, 0.07), bias zeros
//   gluon::loss::SoftmaxCELoss ce;            // per-sample loss, shape (batch,)
//   gluon::data::ArrayDataset ds(data, label);
//   gluon::data::DataLoader loader(ds, 128, /*shuffle=*/true);
//   gluon::Trainer trainer(net.collect_params(), "sgd");   // learning rate 0.01
//   for (const gluon::data::Batch& batch : loader) {
//     ndjit::NDArray loss;
//     { ndjit::autograd::Record rec; loss = ce(net(batch.data), batch.label); }
//     loss.backward();
//     trainer.step(batch.data.shape()[0]);     // w -= lr * grad / batch_size
//   }
//
// Everything is lazy like the rest of ndjit: a forward pass, its backward pass and the update
// are recorded as graph nodes; Trainer::step hands the whole step to the engine (ndjit::flush)
// and returns, so the engine computes step k while the program records step k + 1. Where this
// header is silent, MXNet 1.9's semantics apply (../reference: mxnet-semantics.md §3).
//
// The pieces live in ndjit/gluon/: parameter.h (Parameter, ParameterDict, init), nn.h (blocks),
// loss.h, data.h and trainer.h (Optimizer, SGD, Adam, Trainer); this header includes them all.
#ifndef NDJIT_GLUON_H_
#define NDJIT_GLUON_H_

#include "ndjit/autograd.h"
#include "ndjit/gluon/data.h"
#include "ndjit/gluon/loss.h"
#include "ndjit/gluon/nn.h"
#include "ndjit/gluon/parameter.h"
#include "ndjit/gluon/trainer.h"

#endif  // NDJIT_GLUON_H_
