#pragma once
// The retag tests' paper: questions 1, 2, 3, 3(a) (which reads its stem from 3) and 4, and two
// syllabi: physics, whose leaves are in order P1.1 Forces and motion, P1.2 Energy, P2.1 Sound,
// P2.2 Light, and history (H1 alone). Shared by the embedded and the AI job tests.
#include "pg/connection.h"

#include <string>

namespace examq::testing {

struct RetagPaper {
  std::string id;
  std::string physics = "00000000-0000-0000-0000-00000000fa01";
  std::string history = "00000000-0000-0000-0000-00000000fa02";
};

inline RetagPaper make_retag_paper(pg::Connection& c, const std::string& title = "Physics Paper 1") {
  RetagPaper p;
  p.id = c.exec("INSERT INTO exam_papers (title) VALUES ($1) RETURNING id::text", title).get<std::string>(0, 0);
  c.exec("INSERT INTO questions (exam_paper_id, question_number, parent_number, position, text) VALUES "
         "($1::uuid, '1', NULL, 1, 'Calculate the kinetic energy of a 2 kg trolley moving at 3 m/s.'),"
         "($1::uuid, '2', NULL, 2, 'A ray of light is refracted by a glass block. Draw the refraction.'),"
         "($1::uuid, '3', NULL, 3, 'An ultrasound scanner sends sound waves into the body and detects echoes.'),"
         "($1::uuid, '3(a)', '3', 4, 'What is the frequency range used?'),"
         "($1::uuid, '4', NULL, 5, 'Write your candidate number in the box.')",
         p.id);
  c.exec("INSERT INTO syllabus_topics (id, syllabus_id, parent_id, code, title, description, position) VALUES "
         "('00000000-0000-0000-0000-0000000f0001', $1::uuid, NULL, 'P1', 'Mechanics', NULL, 1),"
         "('00000000-0000-0000-0000-0000000f0002', $1::uuid, '00000000-0000-0000-0000-0000000f0001', 'P1.1', 'Forces and motion', 'Newton''s laws, resultant force, acceleration', 2),"
         "('00000000-0000-0000-0000-0000000f0003', $1::uuid, '00000000-0000-0000-0000-0000000f0001', 'P1.2', 'Energy', 'Kinetic energy, potential energy, work done, power', 3),"
         "('00000000-0000-0000-0000-0000000f0004', $1::uuid, NULL, 'P2', 'Waves', NULL, 4),"
         "('00000000-0000-0000-0000-0000000f0005', $1::uuid, '00000000-0000-0000-0000-0000000f0004', 'P2.1', 'Sound', 'Longitudinal waves, frequency, echoes, ultrasound', 5),"
         "('00000000-0000-0000-0000-0000000f0006', $1::uuid, '00000000-0000-0000-0000-0000000f0004', 'P2.2', 'Light', 'Reflection, refraction, lenses', 6),"
         "('00000000-0000-0000-0000-0000000f0101', $2::uuid, NULL, 'H1', 'The First World War', 'Trench warfare, the Somme', 1)",
         p.physics, p.history);
  return p;
}

// Each question's topic codes, in paper order: "1=P1.2;2=P2.2;..."
inline std::string topic_tags(pg::Connection& c, const std::string& paper) {
  return c
      .exec("SELECT string_agg(q.question_number || '=' || coalesce((SELECT string_agg(t.code, ',' ORDER BY u.n) "
            "FROM unnest(q.topic_ids) WITH ORDINALITY AS u(id, n) JOIN syllabus_topics AS t ON t.id = u.id), ''), ';' "
            "ORDER BY q.position) FROM questions AS q WHERE q.exam_paper_id = $1::uuid",
            paper)
      .get<std::string>(0, 0);
}

}  // namespace examq::testing
